// Errors a person can act on, at 1280 and 390 px: a deep link survives the login and a logout
// says so; the editor's error summary links to the field; a save from a stale tab keeps what
// was typed and shows it beside the saved version; the finance officer approves the remaining
// lines in one step; the 事務局's name review with a typo comes back at its review. Each screen is checked by axe-core (WCAG 2.1 A/AA) and must not scroll
// sideways on a phone.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { atBothWidths, baseUrl, check, login, passwordOf, run, text } from "./lib.mjs";

await run("handovers", async (page, context) => {
  // Every answer carries the security headers: no framing, no inline script, no sniffing.
  const headers = (await page.goto(`${baseUrl}/login`)).headers();
  check(headers["content-security-policy"]?.includes("frame-ancestors 'none'") && !headers["content-security-policy"].includes("'unsafe-inline'"), `CSP: ${headers["content-security-policy"]}`);
  check(headers["x-frame-options"] === "DENY", `X-Frame-Options: ${headers["x-frame-options"]}`);
  check(Boolean(headers["referrer-policy"]) && headers["x-content-type-options"] === "nosniff", "Referrer-Policy and nosniff");

  // A deep link before login comes back after it; logging out says so.
  await page.goto(`${baseUrl}/settings/notifications`);
  check(new URL(page.url()).pathname === "/login", `sent to the login, got ${page.url()}`);
  check(!(await page.content()).includes("hojokin serve"), "no developer's note on the login page");
  await page.fill("#email", "kobayashi@shiojiri-mirai.example");
  await page.fill("#password", passwordOf("kobayashi@shiojiri-mirai.example"));
  await Promise.all([page.waitForURL((url) => url.pathname === "/settings/notifications"), page.click("form button[type=submit]")]);
  await Promise.all([page.waitForURL((url) => url.pathname === "/login"), page.click("header button:has-text('ログアウト')")]);
  check((await text(page, "[role=status], .flash")).includes("ログアウトしました"), "the logout is told");
  await atBothWidths(page, "login-logged-out", "main");

  // MEGURU has had its three awards: it is not offered a new application, and is told why.
  await login(page, "tanaka@meguru.example");
  await page.goto(`${baseUrl}/applications/new`);
  const closed = await text(page, "#closed-organisations");
  check(closed.includes("MEGURU") && closed.includes("採択回数の上限は3回です"), `the award cap, named: ${closed}`);
  await atBothWidths(page, "applicant-new-at-award-cap", "#closed-organisations");
  await page.goto(`${baseUrl}/applicant`);

  // MEGURU's draft R8-0001, open in two tabs.
  await Promise.all([page.waitForURL(/\/applications\/\d+\/edit$/), page.click("#my-applications tr:has-text('R8-0001') >> text=編集する")]);
  const editUrl = page.url();
  const other = await context.newPage();
  await other.goto(editUrl);

  // An unreadable amount: the summary at the top links to the field, which takes the focus.
  const amount = "[name='activities[0].budget_lines[0].amount_yen']";
  const typedAmount = await page.inputValue(amount);
  await page.fill(amount, "三十万円");
  await Promise.all([page.waitForLoadState("load"), page.click("button[value=save]")]);
  const summary = page.locator("#error-summary");
  check((await summary.getAttribute("role")) === "alert", "the summary is an alert");
  check((await summary.innerText()).includes("数字で入力"), `summary: ${await summary.innerText()}`);
  await atBothWidths(page, "editor-error-summary", "#error-summary");
  await summary.locator("a").first().click();
  check(await page.locator(amount).evaluate((element) => element === document.activeElement), "the link leads to the field");
  await page.fill(amount, typedAmount);

  // The first tab saves a new title; the second, opened before, saves its own.
  await page.fill("#title", "塩尻 右腕人材プロジェクト（事務局と調整済）");
  await Promise.all([page.waitForLoadState("load"), page.click("button[value=save]")]);
  check((await text(page, ".flash")).includes("下書きを保存しました"), "the first tab saved");
  await other.fill("#title", "塩尻 右腕人材プロジェクト（古いタブの案）");
  await Promise.all([other.waitForLoadState("load"), other.click("button[value=save]")]);
  const stale = other.locator("#stale-save");
  check((await stale.getAttribute("role")) === "alert", "the stale save is an alert");
  const differences = await other.locator("#stale-differences tbody").innerText();
  check(
    differences.includes("事業名") && differences.includes("（事務局と調整済）") && differences.includes("（古いタブの案）"),
    `what was typed beside what is saved: ${differences}`,
  );
  check((await other.inputValue("#title")) === "塩尻 右腕人材プロジェクト（古いタブの案）", "what was typed is kept in the form");
  await atBothWidths(other, "editor-stale-save", "#stale-save");
  // Saving again applies it over the saved version.
  await Promise.all([other.waitForLoadState("load"), other.click("button[value=save]")]);
  check((await text(other, ".flash")).includes("下書きを保存しました"), "saved on the second try");
  check((await other.inputValue("#title")) === "塩尻 右腕人材プロジェクト（古いタブの案）", "the typed title stands");
  await other.close();

  // The finance officer: after a line is adjusted, the rest are approved in one step.
  await Promise.all([page.waitForURL((url) => url.pathname === "/login"), page.click("header button:has-text('ログアウト')")]);
  await login(page, "zaisei@city-shiojiri.example");
  await page.locator("#queue tr", { hasText: "R8-0005" }).locator("text=審査する").click();
  const reviewUrl = page.url();
  const row = page.locator("tr", { hasText: "人事制度設計（外注）" });
  await row.locator("input[value=adjust]").check();
  await row.locator("input[name=amount_yen]").fill("１，５００，０００");
  await row.locator("input[name=reason]").fill("見積の再確認により減額");
  await Promise.all([page.waitForLoadState("load"), row.locator("button[type=submit]").click()]);
  check((await text(page, ".flash")).includes("審査を記録しました"), "the adjustment, typed full-width, is recorded");
  const bulk = page.locator("#approve-remaining button");
  const label = await bulk.innerText();
  const remaining = Number(label.match(/未審査の (\d+) 行/)?.[1]);
  check(remaining > 0, `the 一括承認 button counts the lines left: ${label}`);
  await atBothWidths(page, "officer-approve-remaining", "#approve-remaining");
  await Promise.all([page.waitForURL(reviewUrl), bulk.click()]);
  check((await text(page, ".flash")).includes(`未審査の予算行 ${remaining} 行を承認しました`), `approved together: ${await text(page, ".flash")}`);
  check((await page.locator("#approve-remaining").count()) === 0, "nothing left to approve");
  const states = await page.locator("tbody tr td:nth-child(4) strong").allInnerTexts();
  check(!states.includes("未審査") && states.includes("調整"), `every line reviewed, the adjusted one kept: ${states}`);

  // The 事務局: the award list as Excel saves it in Japan (Shift_JIS), read as the UTF-8 one is.
  await Promise.all([page.waitForURL((url) => url.pathname === "/login"), page.click("header button:has-text('ログアウト')")]);
  await login(page, "jimukyoku@meti.example");
  await page.goto(`${baseUrl}/manager/awards/import`);
  const shiftJis = execFileSync("python3", ["-c", "import sys; sys.stdout.buffer.write(open(sys.argv[1], encoding='utf-8').read().encode('cp932'))", path.resolve("forms/awards/awards-r4-r7.csv")]);
  await page.setInputFiles("#award-file", { name: "採択一覧.csv", mimeType: "text/csv", buffer: shiftJis });
  await Promise.all([page.waitForURL(/\/manager\/awards\/imports\/\d+$/), page.click("form[enctype='multipart/form-data'] button[type=submit]")]);
  check((await text(page, "#plan-matched")) === "135", `the Shift_JIS list planned as the UTF-8 one: ${await text(page, "#plan-matched")}`);

  // A name typed wrong in a name review comes back at that review, typed as it was.
  await page.goto(`${baseUrl}/manager/awards/reviews`);
  const review = page.locator("section.review").first();
  check((await review.count()) === 1, "the demo has a name to review");
  const reviewId = await review.getAttribute("id");
  await review.locator("input[value=other]").check();
  await review.locator("input[name=other]").fill("株式会社えぼくX（存在しない団体）");
  await Promise.all([page.waitForLoadState("load"), review.locator("button[type=submit]").click()]);
  const back = page.locator(`#${reviewId}`);
  check((await back.locator("[role=alert]").count()) === 1, "the error is at its review");
  check((await back.locator("input[value=other]").isChecked()) && (await back.locator("input[name=other]").inputValue()) === "株式会社えぼくX（存在しない団体）", "the choice and the name typed are kept");
  await atBothWidths(page, "manager-name-review-error", `#${reviewId}`);
});

// The program manager finds applications by an organisation's name and by a number typed full
// width, exports what was found, filters the pipeline, starts the review of a submitted application
// and selects it (採択) through its confirmation page; the applicant asks for the grant and the
// manager decides it (交付決定) for less than the computed amount and on a given day, again
// confirmed first, and the page then shows the 交付決定額 with its date; the award-limit, KPI and programme pages answer; the deadline
// calendar shows the demo's deadlines with the keyboard; the shipped award list uploaded again
// is applied by the job queue, its progress bar driven by the page's script, and changes nothing;
// a change request of a running project is shown before → after next to 承認, and approving it
// leaves the subsidy at the 交付決定額.
import path from "node:path";
import { baseUrl, check, login, run, screenshot, text, xlsxParts } from "./lib.mjs";

/// The confirmation page names the application, its organisation and its amount.
async function confirmationNames(page, label) {
  check((await text(page, "h1")) === `「${label}」の確認`, `a confirmation of ${label}: ${await text(page, "h1")}`);
  check((await text(page, "#confirm-reference")) === "R8-0002", "the application's reference");
  check((await text(page, "#confirm-title")) === "燕三条 ものづくり企業の右腕人材育成", "the application's title");
  check((await text(page, "#confirm-organisation")) === "株式会社つばめいと", "the organisation");
  const amounts = await text(page, "#confirm-summary ~ div");
  check(/申請額\s*[\d,]+円/.test(amounts), `the amount: ${amounts}`);
}

/// The application's state as another tab of the same session sees it now.
async function assertState(context, url, state, message) {
  const other = await context.newPage();
  await other.goto(url);
  const now = await text(other, "#application-state");
  await other.close();
  check(now === state, `${message}: ${now}`);
}

await run("manager", async (page, context) => {
  await login(page, "jimukyoku@meti.example");
  check(new URL(page.url()).pathname === "/manager", `home is the pipeline, got ${page.url()}`);
  await screenshot(page, "manager-pipeline");
  // Search by the core of an organisation's name (without 株式会社), with 団体名 in the list,
  // and export what was found; then by a number typed full width.
  await page.fill("#f-q", "御祓川");
  await Promise.all([page.waitForURL(/q=/), page.click("form.filters button[type=submit]")]);
  const byName = await text(page, "#pipeline");
  check(byName.includes("R8-0004") && byName.includes("株式会社御祓川") && !byName.includes("R8-0002"),
    `found by the organisation's name: ${byName}`);
  await page.locator("#pipeline-exports").scrollIntoViewIfNeeded();
  await screenshot(page, "manager-pipeline-search");
  const csvLink = await page.getAttribute("#pipeline-exports a[href^='/manager/pipeline.csv']", "href");
  check(csvLink === "/manager/pipeline.csv?q=%E5%BE%A1%E7%A5%93%E5%B7%9D", `the export carries the search: ${csvLink}`);
  const csv = await page.request.get(`${baseUrl}${csvLink}`);
  const csvBytes = await csv.body();
  check(csv.status() === 200 && csvBytes[0] === 0xef && csvBytes[1] === 0xbb && csvBytes[2] === 0xbf, "a CSV with a BOM");
  const csvLines = csvBytes.subarray(3).toString("utf8").trim().split(/\r?\n/);
  check(csvLines.length === 2 && csvLines[1].startsWith("R8-0004,株式会社御祓川,"), `the one row found: ${csvLines}`);
  // The same list as a workbook: the row found, the header frozen and filtered.
  const xlsxLink = await page.getAttribute("#pipeline-exports a[href^='/manager/pipeline.xlsx']", "href");
  const xlsx = await page.request.get(`${baseUrl}${xlsxLink}`);
  const workbook = xlsxParts(await xlsx.body());
  check(xlsx.status() === 200 && workbook.strings.includes("株式会社御祓川") && workbook.strings.includes("R8-0004"), "the workbook holds the row found");
  check(workbook.sheets[0].includes("<autoFilter") && workbook.sheets[0].includes('state="frozen"'), "its header is filtered and frozen");
  await page.fill("#f-q", "Ｒ８－０００２");
  await Promise.all([page.waitForLoadState("load"), page.click("form.filters button[type=submit]")]);
  const byNumber = await text(page, "#pipeline");
  check(byNumber.includes("R8-0002") && !byNumber.includes("R8-0004"), `found by the full-width number: ${byNumber}`);
  await page.goto(`${baseUrl}/manager`);
  await page.selectOption("#f-state", "submitted");
  await Promise.all([page.waitForURL(/state=submitted/), page.click("form.filters button[type=submit]")]);
  const rows = await text(page, "#pipeline");
  check(rows.includes("R8-0002") && !rows.includes("R8-0003"), `filtered pipeline: ${rows}`);

  await page.click("text=R8-0002");
  await Promise.all([page.waitForLoadState("load"), page.click("button[data-action=start_review]")]);
  check((await text(page, "#application-state")) === "審査中", "under review");
  const applicationUrl = page.url();
  // 採択 cannot be undone: the button shows what is decided, and nothing changes until confirmed.
  await Promise.all([page.waitForLoadState("load"), page.click("button[data-action=select]")]);
  await confirmationNames(page, "採択");
  await assertState(context, applicationUrl, "審査中", "nothing changes before 採択 is confirmed");
  await Promise.all([page.waitForLoadState("load"), page.click("button[data-confirm=select]")]);
  check((await text(page, "#application-state")) === "採択", `selected: ${await text(page, ".flash")}`);
  await screenshot(page, "manager-selected");

  // The applicant asks for the grant; the 事務局 decides it for less than the computed amount.
  await Promise.all([page.waitForURL(/\/login/), page.click("form[action='/logout'] button")]);
  await login(page, "sato@tsubameito.example");
  await page.goto(applicationUrl);
  await Promise.all([page.waitForLoadState("load"), page.click("button[data-action=request_grant]")]);
  check((await text(page, "#application-state")) === "交付申請", `grant requested: ${await text(page, ".flash")}`);
  await Promise.all([page.waitForURL(/\/login/), page.click("form[action='/logout'] button")]);
  await login(page, "jimukyoku@meti.example");
  await page.goto(applicationUrl);
  const computed = Number(await page.inputValue("#amount-decide_grant"));
  check(computed > 100000, `the computed amount is offered: ${computed}`);
  const decided = computed - 100000;
  await page.fill("#amount-decide_grant", String(decided));
  await page.fill("#date-decide_grant", "2026-11-30");
  await Promise.all([page.waitForLoadState("load"), page.click("button[data-action=decide_grant]")]);
  await confirmationNames(page, "交付決定");
  const printed = `${decided.toLocaleString("en-US")}円`;
  check((await text(page, "#confirm-amount")) === printed, `the 交付決定額 to confirm: ${await text(page, "#confirm-amount")}`);
  check((await text(page, "#confirm-date")) === "令和8年11月30日", `the 交付決定日 to confirm: ${await text(page, "#confirm-date")}`);
  await assertState(context, applicationUrl, "交付申請", "nothing changes before 交付決定 is confirmed");
  await screenshot(page, "manager-confirm-grant");
  await Promise.all([page.waitForLoadState("load"), page.click("button[data-confirm=decide_grant]")]);
  check((await text(page, "#application-state")) === "交付決定", `decided: ${await text(page, ".flash")}`);
  const amounts = await text(page, "#lifecycle-amounts");
  check(amounts.includes("交付決定額") && amounts.includes(printed) && amounts.includes("令和8年11月30日"), `the 交付決定額 is shown: ${amounts}`);

  await page.goto(`${baseUrl}/manager/award-limits`);
  check((await page.locator("#at-cap tr").count()) > 1, "organisations at the cap are listed");
  await page.goto(`${baseUrl}/manager/kpis`);
  check((await text(page, "#awards-per-year")).includes("令和4年度"), "awards per year");
  check((await text(page, "#continuation")).includes("令和8年度"), "the new award counts in the continuation KPI");
  await page.goto(`${baseUrl}/manager/programs`);
  check((await text(page, "#fy-2026")).includes("令和8年度"), "programme year view");
  check((await page.locator("text=右腕人材枠（right_hand）").count()) >= 1, "frames with their rules");

  // The deadline calendar: this month by default, a real table; the next month by keyboard.
  await page.goto(`${baseUrl}/manager/calendar`);
  const caption = await text(page, "#calendar caption");
  check(/^令和\d+年\d+月（\d{4}年\d+月）の期限$/.test(caption), `calendar caption: ${caption}`);
  check((await page.locator("#calendar thead th").count()) === 7, "seven weekday headers");
  check((await page.locator("#calendar td[aria-current=date]").count()) === 1, "today is marked");
  await page.goto(`${baseUrl}/manager/calendar?month=2026-11`);
  await page.locator("a[rel=next]").focus();
  await Promise.all([page.waitForURL(/month=2026-12/), page.keyboard.press("Enter")]);
  const december = await text(page, "#calendar");
  check(december.includes("R8-0005") && december.includes("差戻しへの回答"), `R8-0005's answer is due in December: ${december}`);
  await screenshot(page, "manager-calendar");

  // The award list import: dry run, then the job queue applies it while the page polls.
  await page.goto(`${baseUrl}/manager/awards/import`);
  check((await page.locator("label[for=award-file]").count()) === 1, "the file input has a label");
  await page.setInputFiles("#award-file", path.resolve("forms/awards/awards-r4-r7.csv"));
  await Promise.all([page.waitForURL(/\/manager\/awards\/imports\/\d+$/), page.click("form[enctype='multipart/form-data'] button[type=submit]")]);
  check((await text(page, "#plan-matched")) === "135", `the demo already holds the shipped list: ${await text(page, "#import-plan")}`);
  check((await text(page, "#plan-queued")) === "0", "nothing new to review");
  await screenshot(page, "manager-award-import");
  await Promise.all([page.waitForLoadState("load"), page.click("form[action$='/apply'] button[type=submit]")]);
  await page.waitForSelector("#import-result", { timeout: 30000 });
  check((await page.locator("progress#import-progress").count()) === 1, "a progress bar");
  check((await text(page, "#done-awards")) === "0" && (await text(page, "#done-members")) === "0", "importing the same list again changes nothing");
  await page.goto(`${baseUrl}/manager/awards/reviews`);
  check((await text(page, "h1")) === "名称の確認", "the review queue opens");

  // 御祓川 asks to raise R8-0004's personnel line by half: it waits for the 事務局.
  await context.clearCookies();
  await login(page, "yamada@misogigawa.example");
  await page.click("#my-applications a:has-text('R8-0004')");
  await page.waitForURL(/\/applications\/\d+$/);
  const runningUrl = page.url();
  await Promise.all([page.waitForURL(/\/change-request$/), page.click("a[data-form=request_change]")]);
  await page.fill("#filing-form tr:has-text('伴走支援担当 人件費') input", "9000000");
  await page.fill("#filing-form [name=reason]", "伴走支援担当を2名に増員するため");
  await Promise.all([page.waitForURL(/\/applications\/\d+$/), page.click("#filing-form button[type=submit]")]);

  await context.clearCookies();
  await login(page, "jimukyoku@meti.example");
  await page.goto(runningUrl);
  const lines = await text(page, "#pending-change-lines");
  check(/伴走支援担当 人件費\s+人件費\s+6,000,000円\s+6,000,000円\s+9,000,000円/.test(lines), `before → after per line: ${lines}`);
  check((await text(page, "#pending-change-categories")).includes("9,000,000円"), "per category");
  const effect = await text(page, "#pending-change-subsidy");
  const subsidy = effect.match(/補助金額\s+([\d,]+円) → ([\d,]+円)/);
  check(subsidy && subsidy[1] === subsidy[2] && effect.includes("を超えて増えません"), `the subsidy stays at the decision: ${effect}`);
  check((await page.locator("button[data-action=approve_change]").count()) === 1, "承認 next to the change");
  await screenshot(page, "manager-pending-change");
  await Promise.all([page.waitForLoadState("load"), page.click("button[data-action=approve_change]")]);
  check((await text(page, ".flash")).includes("「計画変更の承認」を行いました"), `approved: ${await text(page, ".flash")}`);
  check((await page.locator("#pending-change").count()) === 0, "nothing waits any more");
  check((await page.locator("button[data-action=approve_change]").count()) === 0, "no 承認 without a change");
  check((await text(page, "#planned-subsidy")).includes(subsidy[1]), "the plan's subsidy is the decided amount");
  check((await text(page, "#change-history")).includes("6,000,000円 → 9,000,000円"), "the history keeps the amounts");
});

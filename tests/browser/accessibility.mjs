// Every page of each role, checked by axe-core against WCAG 2.1 A and AA (JIS X 8341-3:2016
// asks AA of public-sector sites) at 1280 and 390 px, and none of them scrolls sideways at
// 390 px: the spec visits them all, prints a table of what it found, and fails listing each
// violation (rule, page, width, element) and each page wider than the phone. On the way: the
// editor's budget lines are not cut at either width, its decision stays in view on a phone and
// follows what is typed, and the calendar shades and names weekends and holidays.
import path from "node:path";
import { axeViolations, baseUrl, check, documentWidth, login, run, screenshot, text } from "./lib.mjs";

const WIDTHS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
];
const found = [];

/// Checks the page as it is now at both widths and leaves it at 1280; `shot` names the
/// screenshots (`<shot>-1280.png`, `<shot>-390.png`), taken with `scrollTo` in view.
async function audit(page, label, shot, scrollTo) {
  await page.waitForLoadState("networkidle");
  const row = { label, path: new URL(page.url()).pathname + new URL(page.url()).search, widths: {} };
  for (const viewport of WIDTHS) {
    await page.setViewportSize(viewport);
    const violations = await axeViolations(page);
    const scrollWidth = await documentWidth(page);
    row.widths[viewport.width] = { violations, scrollWidth };
    if (shot) {
      if (scrollTo) await page.locator(scrollTo).first().evaluate((element) => element.scrollIntoView({ block: "start" }));
      await screenshot(page, `${shot}-${viewport.width}`);
      await page.evaluate(() => window.scrollTo(0, 0));
    }
  }
  await page.setViewportSize(WIDTHS[0]);
  found.push(row);
}

/// Whether the element's box lies inside the viewport.
async function inView(page, selector) {
  const box = await page.locator(selector).first().boundingBox();
  const viewport = page.viewportSize();
  // A pixel of slack: a heading scrolled to the top may sit a fraction of a pixel above it.
  return Boolean(box) && box.y >= -1 && box.y + box.height <= viewport.height + 1 && box.x >= -1 && box.x + box.width <= viewport.width + 1;
}

/// In the editor's budget tables: every choice a select offers fits in it, every 内容 shows
/// all its text and every 削除 is on one line; the problems found, as text.
async function crampedBudgetCells(page) {
  return page.evaluate(() => {
    const problems = [];
    const measure = document.createElement("span");
    measure.style.position = "absolute";
    measure.style.visibility = "hidden";
    measure.style.whiteSpace = "pre";
    document.body.append(measure);
    for (const select of document.querySelectorAll("#editor table.budget select")) {
      const style = getComputedStyle(select);
      measure.style.font = style.font;
      // The room for the text: the box less its padding and the drop-down arrow (about 1.2em).
      const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 1.2 * parseFloat(style.fontSize);
      for (const option of select.options) {
        measure.textContent = option.text;
        if (measure.getBoundingClientRect().width > room) problems.push(`${select.name}: 「${option.text}」 needs ${Math.ceil(measure.getBoundingClientRect().width)} px, has ${Math.floor(room)}`);
      }
    }
    measure.remove();
    for (const input of document.querySelectorAll("#editor table.budget input[name$='.description']")) {
      if (input.scrollWidth > input.clientWidth) problems.push(`${input.name}: 「${input.value}」 is cut (${input.scrollWidth} > ${input.clientWidth} px)`);
    }
    for (const button of document.querySelectorAll("#editor table.budget .remove-line")) {
      const range = document.createRange();
      range.selectNodeContents(button);
      const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
      if (lines !== 1) problems.push(`削除 takes ${lines} lines`);
    }
    return problems;
  });
}

async function logout(page, context) {
  await context.clearCookies();
  await page.goto(`${baseUrl}/login`);
}

async function open(page, selector) {
  await Promise.all([page.waitForLoadState("load"), page.click(selector)]);
}

await run("accessibility", async (page, context) => {
  // Before logging in. First, axe itself: an image without a text alternative is found.
  await page.goto(`${baseUrl}/login`);
  await page.evaluate(() => document.querySelector("main").append(Object.assign(document.createElement("img"), { id: "planted", src: "/static/none.png" })));
  const planted = await axeViolations(page);
  check(planted.some((violation) => violation.id === "image-alt" && violation.targets.includes("#planted")), `axe runs and finds a planted violation: ${JSON.stringify(planted)}`);
  await page.goto(`${baseUrl}/login`);
  await audit(page, "ログイン");
  await page.goto(`${baseUrl}/password-reset`);
  await audit(page, "パスワード再設定の申込み");

  // 申請者: the dashboard, a new application, the editor of a returned application, its page,
  // the settings.
  await login(page, "kobayashi@shiojiri-mirai.example");
  await audit(page, "申請者ダッシュボード", "a11y-applicant-dashboard");
  await page.goto(`${baseUrl}/applications/new`);
  await audit(page, "新しい申請");
  await page.goto(`${baseUrl}/applicant`);
  await open(page, "#my-applications tr:has-text('R8-0005') >> text=修正する");
  await audit(page, "申請内容の編集（差戻し R8-0005）");
  // On a phone the decision stays in view at the bottom while the form scrolls, follows what
  // is typed, and leads to the whole decision.
  await page.setViewportSize(WIDTHS[1]);
  const summary = "#decision-summary";
  for (const place of ["#sec-basic", "#sec-activities", "fieldset.activity table.budget"]) {
    await page.locator(place).first().evaluate((element) => element.scrollIntoView({ block: "start" }));
    check(await inView(page, summary), `the decision summary is in view at ${place}`);
  }
  const panelSubsidy = () => text(page, "#decision-panel .subsidy");
  check((await text(page, "#summary-subsidy")) === (await panelSubsidy()), `the summary's subsidy is the panel's: ${await text(page, summary)}`);
  check((await text(page, "#summary-verdict")) === (await text(page, "#decision-panel .verdict")), "and so is its verdict");
  const before = await panelSubsidy();
  await page.fill("[name='activities[0].budget_lines[0].amount_yen']", "600000");
  await page.waitForFunction((old) => document.querySelector("#decision-panel .subsidy")?.textContent !== old, before);
  check((await text(page, "#summary-subsidy")) === (await panelSubsidy()) && (await panelSubsidy()) !== before, `the summary follows the live decision: ${await text(page, summary)}`);
  await page.click(`${summary} a`);
  check(await inView(page, "#decision-heading"), `its link leads to the whole decision: ${page.url()} ${JSON.stringify(await page.locator("#decision-heading").boundingBox())}`);
  await page.setViewportSize(WIDTHS[0]);
  check(!(await page.locator(summary).isVisible()), "beside the form the whole panel is in view instead");
  await page.goto(`${baseUrl}/applicant`);
  await open(page, "#my-applications a:has-text('R8-0005')");
  await audit(page, "申請の詳細（申請者 R8-0005）");
  await page.goto(`${baseUrl}/settings/notifications`);
  await audit(page, "通知の設定");

  // The editor with three activities and their budget lines.
  await logout(page, context);
  await login(page, "tanaka@meguru.example");
  await open(page, "#my-applications tr:has-text('R8-0001') >> text=編集する");
  await page.waitForURL(/\/applications\/\d+\/edit$/);
  await audit(page, "申請内容の編集（下書き R8-0001）", "a11y-applicant-editor", "fieldset.activity table.budget");
  // The budget lines take the width they need: nothing cut, 削除 on one line, at both widths;
  // on a phone the table scrolls in its own box.
  for (const viewport of WIDTHS) {
    await page.setViewportSize(viewport);
    const cramped = await crampedBudgetCells(page);
    check(cramped.length === 0, `the budget table at ${viewport.width} px:\n${cramped.join("\n")}`);
  }
  const box = await page.locator("fieldset.activity .table-scroll").first().evaluate((element) => ({ scroll: element.scrollWidth, client: element.clientWidth }));
  check(box.scroll > box.client, `at 390 px the budget table scrolls inside its box: ${JSON.stringify(box)}`);
  await page.setViewportSize(WIDTHS[0]);
  // A word in an amount: the page again with the error next to its field.
  await page.fill("[name='activities[0].budget_lines[0].amount_yen']", "三十万円");
  await page.click("button[value=save]");
  await page.waitForSelector("#activities-0--budget_lines-0--amount_yen-error");
  await audit(page, "申請内容の編集（入力エラー R8-0001）");

  // A running project: its page and each filing it offers.
  await logout(page, context);
  await login(page, "yamada@misogigawa.example");
  await open(page, "#my-applications a:has-text('R8-0004')");
  await audit(page, "申請の詳細（事業実施中 R8-0004）", "a11y-application", "#lifecycle-amounts");
  const running = page.url();
  const forms = await page.locator("a[data-form]").evaluateAll((links) => links.map((link) => [link.dataset.form, link.href, link.textContent.trim()]));
  check(forms.length >= 2, `a running project offers its filings: ${JSON.stringify(forms)}`);
  for (const [code, href, label] of forms) {
    await page.goto(href);
    await audit(page, `${label}（R8-0004）`);
  }
  await page.goto(running);

  // 自治体財政担当: the queue and a review.
  await logout(page, context);
  await login(page, "zaisei@city-shiojiri.example");
  await audit(page, "財政担当の審査一覧", "a11y-officer-queue");
  await open(page, "#queue tr:has-text('R8-0005') >> text=審査する");
  await audit(page, "予算の審査（R8-0005）", "a11y-officer-review");

  // 事務局: every page of the menu, an application with its buttons, the impact page and its
  // result, the calendar, the mail logs and the award import.
  await logout(page, context);
  await login(page, "jimukyoku@meti.example");
  await audit(page, "申請の状況（事務局）", "a11y-manager-pipeline");
  await open(page, "#pipeline a:has-text('R8-0002')");
  await audit(page, "申請の詳細（事務局 R8-0002）");
  // 審査開始, then 採択's confirmation page (nothing is decided before it is confirmed).
  await open(page, "button[data-action=start_review]");
  await open(page, "button[data-action=select]");
  check((await text(page, "h1")) === "「採択」の確認", "the confirmation page");
  await audit(page, "採択の確認（R8-0002）");
  for (const [url, label, shot] of [
    ["/manager/award-limits", "採択回数の上限", undefined],
    ["/manager/kpis", "KPI", undefined],
    ["/manager/programs", "年度ごとの規則", undefined],
    ["/manager/programs/impact", "規則案の影響（入力）", undefined],
  ]) {
    await page.goto(`${baseUrl}${url}`);
    await audit(page, label, shot);
  }
  await Promise.all([
    page.waitForResponse((response) => response.url().endsWith("/manager/programs/impact") && response.request().method() === "POST"),
    page.click("#impact-form button:has-text('影響を試算する')"),
  ]);
  await page.waitForSelector("#impact-result");
  await audit(page, "規則案の影響（結果）");
  for (const [url, label, shot] of [
    ["/manager/calendar", "期限カレンダー（今月）", undefined],
    ["/manager/calendar?month=2026-11", "期限カレンダー（令和8年11月）", "a11y-manager-calendar"],
  ]) {
    await page.goto(`${baseUrl}${url}`);
    await audit(page, label, shot);
  }
  // November 2026: 文化の日 and 勤労感謝の日 are shaded and named; weekends are shaded and
  // named for screen readers; a working day is neither.
  const holidays = await page.locator("#calendar td.holiday").evaluateAll((cells) => cells.map((cell) => cell.innerText.replace(/\s+/g, "")));
  check(holidays.length === 2 && holidays[0].includes("（祝日:文化の日）") && holidays[1].includes("（祝日:勤労感謝の日）"), `holidays: ${JSON.stringify(holidays)}`);
  check((await page.locator("#calendar td.saturday").count()) === 4 && (await page.locator("#calendar td.sunday").count()) === 5, "four Saturdays and five Sundays");
  const shade = (selector) => page.locator(selector).first().evaluate((cell) => getComputedStyle(cell).backgroundColor);
  const plain = await shade("#calendar tbody tr:nth-child(2) td:nth-child(4)");
  check((await shade("#calendar td.holiday:not(.today)")) !== plain && (await shade("#calendar td.saturday:not(.today)")) !== plain && (await shade("#calendar td.sunday:not(.today)")) !== plain, `days off are shaded apart from ${plain}`);
  const saturday = page.locator("#calendar td.saturday .visually-hidden", { hasText: "（土）" }).first();
  check((await saturday.count()) === 1 && (await saturday.boundingBox()).width <= 1, "a Saturday says （土） to screen readers");
  for (const [url, label, shot] of [
    ["/manager/reminders", "送信したメール", undefined],
    ["/manager/dead-letters", "送信できなかったメール", undefined],
    ["/manager/awards/import", "採択一覧の取込", undefined],
  ]) {
    await page.goto(`${baseUrl}${url}`);
    await audit(page, label, shot);
  }
  await page.setInputFiles("#award-file", path.resolve("forms/awards/awards-r4-r7.csv"));
  await Promise.all([page.waitForURL(/\/manager\/awards\/imports\/\d+$/), page.click("form[enctype='multipart/form-data'] button[type=submit]")]);
  check((await text(page, "#plan-matched")) === "135", "the dry run of the shipped list");
  await audit(page, "採択一覧の取込（取込前の確認）");
  await page.goto(`${baseUrl}/manager/awards/reviews`);
  await audit(page, "名称の確認");
  await page.goto(`${baseUrl}/no-such-page`);
  await audit(page, "ページが見つかりません（404）");

  // What was found, page by page, then every violation and every page wider than the phone.
  const count = (entry) => entry.violations.reduce((sum, violation) => sum + violation.targets.length, 0);
  console.log("| page | path | 1280: rules / elements | 390: rules / elements | width at 390 |");
  console.log("|---|---|---|---|---|");
  for (const row of found) {
    const [wide, narrow] = [row.widths[1280], row.widths[390]];
    console.log(`| ${row.label} | \`${row.path}\` | ${wide.violations.length} / ${count(wide)} | ${narrow.violations.length} / ${count(narrow)} | ${narrow.scrollWidth} |`);
  }
  const problems = [];
  for (const row of found) {
    for (const [width, entry] of Object.entries(row.widths)) {
      for (const violation of entry.violations) {
        for (const target of violation.targets) {
          problems.push(`${violation.id} (${violation.impact}) on ${row.label} ${row.path} at ${width} px: ${target} — ${violation.help}`);
        }
      }
    }
    if (row.widths[390].scrollWidth > 390) problems.push(`${row.label} ${row.path} scrolls sideways at 390 px: ${row.widths[390].scrollWidth} px wide`);
  }
  check(found.length === 31, `every page was visited: ${found.length}`);
  check(problems.length === 0, `${problems.length} problems:\n${problems.join("\n")}`);
});

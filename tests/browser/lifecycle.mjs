// One application from draft to 完了, as its three users run it. The demo's own draft R8-0001
// is refused first (MEGURU already holds the three awards the programme allows), so the
// applicant of しおじり未来人材機構 drafts a project in 塩尻市 and submits it; 塩尻市's finance
// officer adjusts a budget line, the 事務局 returns it for correction, the applicant answers and
// resubmits, the 事務局 selects it and decides the grant for less than the computed amount, the
// project starts, its interim report is filed and accepted, a change of plan is requested and
// approved, the completion report is filed, the amount confirmed and paid, and the
// continuation survey answered. At each step the page's state, its amounts by name and the
// documents it offers are checked, and so are the mails a real SMTP server received.
import { atBothWidths, baseUrl, check, login, run, screenshot, startShiojiriDraft, text, waitForMail } from "./lib.mjs";

const APPLICANT = "kobayashi@shiojiri-mirai.example";
const OFFICER = "zaisei@city-shiojiri.example";
const MANAGER = "jimukyoku@meti.example";
const TITLE = "塩尻 経営人材と若手人材の定着プロジェクト";
/// The draft's budget: category, description, amount (all claimed from this subsidy).
const LINES = [
  ["personnel", "コーディネーター人件費", 4800000],
  ["travel", "受入企業訪問旅費", 300000],
  ["advertising", "求人情報の発信", 900000],
];
let reference;
const ADJUSTMENT = "訪問回数の見直しにより減額";
const RETURN_REASON = "成果指標（KPI）に採用人数の目標を加えてください";
const REPLY = "幹部インターンシップの KPI に採用 3 名の目標を加えました";
const INTERIM = "受入企業 6 社のうち 4 社でインターンシップを始め、1 名の採用が決まりました。";
const CHANGE_REASON = "コーディネーターを 1 名増員するため";
/// What the applicant reports as spent, per line: 5,550,000円 × 2/3 = 3,700,000円.
const ACTUALS = { "コーディネーター人件費": 4500000, "受入企業訪問旅費": 150000, "求人情報の発信": 900000 };

const yen = (amount) => `${amount.toLocaleString("en-US")}円`;
/// A day `days` after today in Japan, as the date inputs take it (YYYY-MM-DD).
function isoDay(days = 0) {
  const day = new Date(Date.now() + 9 * 3600 * 1000 + days * 86400 * 1000);
  return day.toISOString().slice(0, 10);
}
/// 2026-12-02 → 令和8年12月2日.
function wareki(iso) {
  const [year, month, day] = iso.split("-").map(Number);
  return `令和${year - 2018}年${month}月${day}日`;
}

let applicationUrl;

async function as(page, context, email) {
  await context.clearCookies();
  await login(page, email);
  if (applicationUrl) await page.goto(applicationUrl);
}

async function state(page) {
  return text(page, "#application-state");
}

async function expectState(page, expected, step) {
  const now = await state(page);
  const flash = (await page.locator(".flash").count()) ? await text(page, ".flash") : "";
  check(now === expected, `${step}: the state is ${now}, not ${expected} (${flash})`);
}

/// The lifecycle amounts by their names, as the page shows them: { 申請額: 5760000, … }.
async function amounts(page) {
  const shown = {};
  for (const row of await page.locator("#lifecycle-amounts dt").all()) {
    const value = await row.locator("xpath=following-sibling::dd[1]").innerText();
    shown[(await row.innerText()).trim()] = Number(value.split("円")[0].replace(/,/g, ""));
  }
  return shown;
}

async function amountText(page) {
  return text(page, "#lifecycle-amounts");
}

/// The PDF documents the application page offers, by title.
async function documents(page) {
  return page.locator("ul.filings a").allInnerTexts();
}

/// Performs an action from the application page: fills its fields, presses its button and,
/// when a confirmation page answers, checks it names the application and confirms.
async function act(page, action, fields = {}) {
  for (const [prefix, value] of Object.entries(fields)) {
    await page.fill(`#${prefix}-${action}`, value);
  }
  // Wait for the answer to this POST (a confirmation page or the application again), not the
  // load state of the page already shown.
  await Promise.all([page.waitForNavigation(), page.click(`button[data-action=${action}]`)]);
  if ((await page.locator(`button[data-confirm=${action}]`).count()) > 0) {
    check((await text(page, "#confirm-reference")) === reference, `the confirmation of ${action} names ${reference}`);
    await Promise.all([page.waitForURL(/\/applications\/\d+$/), page.click(`button[data-confirm=${action}]`)]);
  }
}

/// Opens one of the applicant's filing pages from the application page.
async function openFiling(page, form) {
  await Promise.all([page.waitForLoadState("load"), page.click(`a[data-form=${form}]`)]);
}

async function fileForm(page) {
  await Promise.all([page.waitForURL(/\/applications\/\d+$/), page.click("#filing-form button[type=submit]")]);
}

await run("lifecycle", async (page, context) => {
  // 0. The demo's own draft R8-0001 cannot walk: MEGURU already holds three awards.
  await login(page, "tanaka@meguru.example");
  await page.click("#my-applications tr:has-text('R8-0001') >> text=編集する");
  await page.waitForURL(/\/applications\/\d+\/edit$/);
  await Promise.all([page.waitForLoadState("load"), page.click("button[value=submit]")]);
  const refusal = await text(page, "#refusal");
  check(refusal.includes("採択回数の上限") && !refusal.includes("award_cap_exceeded"), `R8-0001 is refused at the cap, in Japanese: ${refusal}`);
  await atBothWidths(page, "editor-refusal", "#refusal");

  // 1. The applicant of しおじり未来人材機構 drafts a project in 塩尻市 and submits it: nothing is
  // decided yet, so no notice is offered.
  await as(page, context, APPLICANT);
  await startShiojiriDraft(page, TITLE, "経営人材インターンシップ");
  await page.fill("[name='activities[0].kpi']", "受入企業 6 社");
  for (const [index, [category, description, amount]] of LINES.entries()) {
    if (index > 0) await page.click("fieldset.activity .add-line");
    const name = `activities[0].budget_lines[${index}]`;
    await page.selectOption(`[name='${name}.category']`, category);
    await page.fill(`[name='${name}.description']`, description);
    await page.fill(`[name='${name}.amount_yen']`, String(amount));
    await page.selectOption(`[name='${name}.funding_source']`, "this_subsidy");
  }
  await Promise.all([page.waitForURL(/\/applications\/\d+$/), page.click("button[value=submit]")]);
  applicationUrl = page.url();
  reference = (await text(page, "h1")).split(" ")[0];
  await expectState(page, "申請済", "submitted");
  check((await amounts(page))["申請額"] === 4000000, "申請額: 6,000,000円 × 2/3");
  const offered = await documents(page);
  check(offered.includes("地域の人事部支援事業 補助事業計画書（申請書）") && !offered.includes("補助金交付決定通知書"), `the application, no 交付決定通知書 before the decision: ${offered}`);
  await screenshot(page, "lifecycle-1-submitted");
  const received = await waitForMail(APPLICANT, ["申請の受付", reference]);
  check(received.text.includes("申請を受け付けました"), `the applicant's receipt: ${received.text}`);
  await waitForMail(MANAGER, ["申請の受付", reference]);
  await waitForMail(OFFICER, ["予算審査の依頼", reference]);

  // 2. 塩尻市's finance officer adjusts the travel line with a reason.
  await as(page, context, OFFICER);
  await page.goto(`${applicationUrl}/review`);
  const line = page.locator("tr", { hasText: "受入企業訪問旅費" });
  await line.locator("input[value=adjust]").check();
  await line.locator("input[name=amount_yen]").fill("180000");
  await line.locator("input[name=reason]").fill(ADJUSTMENT);
  await Promise.all([page.waitForLoadState("load"), line.locator("button[type=submit]").click()]);
  check((await text(page, ".flash")).includes("審査を記録しました"), "the review is recorded");
  await page.goto(applicationUrl);
  const reviewed = await amounts(page);
  check(reviewed["申請額"] === 4000000 && reviewed["審査後"] === 3920000, `審査後: 5,880,000円 × 2/3: ${JSON.stringify(reviewed)}`);
  await screenshot(page, "lifecycle-2-adjusted");

  // 3. The 事務局 starts the review and returns it with a reason and a reply deadline.
  await as(page, context, MANAGER);
  await act(page, "start_review");
  await expectState(page, "審査中", "under review");
  const replyDue = isoDay(14);
  await act(page, "return_for_correction", { reason: RETURN_REASON, "reply-due": replyDue });
  await expectState(page, "差戻し", "returned");
  const returned = await waitForMail(APPLICANT, ["差戻し", reference]);
  check(returned.text.includes(RETURN_REASON) && returned.text.includes("回答（再提出）の期限"), `the 差戻し mail names the reason and deadline: ${returned.text}`);

  // 4. The applicant reads the reason and deadline on the edit page, changes only the KPI,
  // answers and resubmits; the finance officer's adjustment stays.
  await as(page, context, APPLICANT);
  await page.goto(`${applicationUrl}/edit`);
  const correction = await text(page, "#correction");
  check(correction.includes(RETURN_REASON) && correction.includes(wareki(replyDue).slice(0, -1)), `the edit page shows reason and deadline: ${correction}`);
  await page.fill("[name='activities[0].kpi']", "受入企業 6 社、インターン 10 名、採用 3 名");
  await page.fill("#correction_reply", REPLY);
  await screenshot(page, "lifecycle-4-correction");
  await Promise.all([page.waitForURL(/\/applications\/\d+$/), page.click("button[value=submit]")]);
  await expectState(page, "申請済", "resubmitted");
  check((await amounts(page))["審査後"] === 3920000, "the reviewed amount survives the resubmission");
  await as(page, context, OFFICER);
  await page.goto(`${applicationUrl}/review`);
  const kept = await page.locator("tr", { hasText: "受入企業訪問旅費" }).innerText();
  check(kept.includes("調整") && kept.includes(ADJUSTMENT), `the adjusted line keeps its 調整: ${kept}`);

  // 5. The 事務局 reads the reply and selects the application through its confirmation page.
  await as(page, context, MANAGER);
  check((await text(page, "#corrections")).includes(REPLY), "the reply is shown to the 事務局");
  await act(page, "start_review");
  await act(page, "select");
  await expectState(page, "採択", "selected");
  const selected = await waitForMail(APPLICANT, ["採択", reference]);
  check(selected.text.includes("交付申請の期限"), `the 採択 mail names the 交付申請 deadline: ${selected.text}`);
  await screenshot(page, "lifecycle-5-selected");

  // 6. The applicant asks for the grant.
  await as(page, context, APPLICANT);
  await act(page, "request_grant");
  await expectState(page, "交付申請", "grant requested");

  // 7. The 事務局 decides the grant for less than the computed amount, on today's date.
  await as(page, context, MANAGER);
  const computed = Number(await page.inputValue("#amount-decide_grant"));
  check(computed === 3920000, `the computed amount is offered: ${computed}`);
  const decided = computed - 20000;
  const today = isoDay(0);
  await act(page, "decide_grant", { amount: String(decided), date: today });
  await expectState(page, "交付決定", "decided");
  const decision = await amountText(page);
  check((await amounts(page))["交付決定額"] === decided && decision.includes(wareki(today)), `交付決定額 and 交付決定日: ${decision}`);
  check((await documents(page)).includes("補助金交付決定通知書"), "the 交付決定通知書 is offered");
  await waitForMail(APPLICANT, ["交付決定", reference]);
  await screenshot(page, "lifecycle-7-decided");

  // 8. The applicant starts the project, files the interim report and asks to raise a line.
  await as(page, context, APPLICANT);
  await act(page, "start_project");
  await expectState(page, "事業実施中", "in progress");
  await openFiling(page, "submit_interim_report");
  await page.fill("#payload-body", INTERIM);
  await fileForm(page);
  check((await text(page, ".flash")).includes("「中間報告の提出」を受け付けました"), `interim report filed: ${await text(page, ".flash")}`);
  check((await documents(page)).includes("補助事業遂行状況報告書（中間報告書）"), "the interim report is offered");
  await openFiling(page, "request_change");
  await page.fill("#filing-form tr:has-text('コーディネーター人件費') input", "6000000");
  await page.fill("#filing-form [name=reason]", CHANGE_REASON);
  await fileForm(page);
  await expectState(page, "事業実施中", "a change request leaves the state");

  // 9. The 事務局 reads the report next to 受理 and accepts it; sees the change before → after
  // next to 承認 and approves it: the subsidy stays at the 交付決定額.
  await as(page, context, MANAGER);
  check((await text(page, "#pending-interim-report")).includes(INTERIM), "the report's content");
  check((await page.locator("button[data-action=accept_interim_report]").count()) === 1, "受理 next to it");
  await act(page, "accept_interim_report");
  check((await page.locator("#pending-interim-report").count()) === 0, "the report is accepted");
  const change = await text(page, "#pending-change-lines");
  check(/コーディネーター人件費\s+人件費\s+4,800,000円\s+4,800,000円\s+6,000,000円/.test(change), `before → after: ${change}`);
  await screenshot(page, "lifecycle-9-pending-change");
  await act(page, "approve_change");
  check((await page.locator("#pending-change").count()) === 0, "the change is approved");
  check((await text(page, "#planned-subsidy")).includes(yen(decided)), `the subsidy stays at the decision: ${await text(page, "#planned-subsidy")}`);
  check((await amounts(page))["交付決定額"] === decided, "the 交付決定額 is unchanged");

  // 10. The applicant files the completion report with what was actually spent.
  await as(page, context, APPLICANT);
  await openFiling(page, "submit_completion_report");
  for (const [description, actual] of Object.entries(ACTUALS)) {
    await page.fill(`#filing-form tr:has-text('${description}') input`, String(actual));
  }
  await fileForm(page);
  await expectState(page, "実績報告", "completion reported");
  const reported = await documents(page);
  check(reported.includes("補助事業実績報告書") && !reported.includes("補助金の額の確定通知書"), `the completion report, no 確定通知書 yet: ${reported}`);
  await waitForMail(MANAGER, ["実績報告の提出", reference]);

  // 11. The 事務局 confirms the amount (confirmed first): the 確定額 follows the actuals, below
  // the 交付決定額, and its notice is offered.
  await as(page, context, MANAGER);
  await act(page, "confirm_amount");
  await expectState(page, "額の確定", "amount confirmed");
  const confirmed = (await amounts(page))["確定額"];
  check(confirmed === 3700000 && confirmed <= decided, `確定額 from the actuals: ${await amountText(page)}`);
  check((await documents(page)).includes("補助金の額の確定通知書"), "the 確定通知書 is offered");
  await waitForMail(APPLICANT, ["額の確定", reference]);
  await screenshot(page, "lifecycle-11-confirmed");

  // 12. The 事務局 pays it, with the amount and the day.
  await act(page, "pay", { amount: String(confirmed), date: today });
  await expectState(page, "支払済", "paid");
  const paid = await amounts(page);
  check(paid["支払額"] === confirmed && (await amountText(page)).includes(wareki(today)), `支払額 and 支払日: ${await amountText(page)}`);

  // 13. The continuation survey is opened and answered: the application is 完了.
  await act(page, "open_continuation_survey");
  await expectState(page, "継続状況調査", "survey open");
  await waitForMail(APPLICANT, ["継続状況調査", reference]);
  await as(page, context, APPLICANT);
  await openFiling(page, "answer_continuation_survey");
  await page.check("#continuation-continuing");
  await fileForm(page);
  await expectState(page, "完了", "closed");
  const history = await text(page, "#history");
  check(history.includes("差戻し") && history.includes("額の確定") && history.includes("完了"), `the history: ${history}`);
  await screenshot(page, "lifecycle-13-closed");

  // The 事務局's log of what was sent: every kind and outcome in Japanese, no codes.
  await as(page, context, MANAGER);
  await page.goto(`${baseUrl}/manager/reminders`);
  const sent = await text(page, "#sent-log");
  check(sent.includes("申請提出の通知") && sent.includes(reference), `the sent log names the kind in Japanese: ${sent}`);
  check(!/application_submitted|interim_report|sent_ok|\bsent\b|\bfailed\b/.test(sent), `no codes in the sent log: ${sent}`);
  await atBothWidths(page, "manager-sent-log", "#sent-log");
});

// The applicant drafts an application in the editor (adding rows, live totals and the
// engine's decision beside the form), saves it, and submits it.
import { atBothWidths, baseUrl, check, login, run, screenshot, startShiojiriDraft, text } from "./lib.mjs";

await run("applicant", async (page) => {
  await login(page, "kobayashi@shiojiri-mirai.example");
  check(new URL(page.url()).pathname === "/applicant", `home is the dashboard, got ${page.url()}`);
  check((await text(page, "h1")) === "申請者ダッシュボード", "dashboard heading");
  const outlook = await text(page, "section.outlook");
  check(outlook.includes("右腕人材枠") && outlook.includes("1回目") && outlook.includes("2/3"), `award outlook: ${outlook}`);
  await screenshot(page, "applicant-dashboard");

  const editUrl = await startShiojiriDraft(page, "塩尻 ものづくり企業の右腕人材プロジェクト", "幹部インターンシップ");
  // Co-applicants are found by name, not picked from a long list with Ctrl: 御祓川 finds
  // 株式会社御祓川; a chosen one stays in view whatever is searched.
  const allCoApplicants = await page.locator("#co-applicant-list label").count();
  await page.fill("#co-applicant-search", "御祓川");
  await page.waitForFunction((all) => document.querySelectorAll("#co-applicant-list label:not([hidden])").length < all, allCoApplicants);
  const found = await page.locator("#co-applicant-list label:not([hidden])").allTextContents();
  check(found.length >= 1 && found.every((name) => name.includes("御祓川")), `found by name: ${found}`);
  check((await text(page, "#co-applicant-count")).includes(`${found.length} 団体`), "the count is announced");
  await page.locator("#co-applicant-list label:not([hidden]) input").first().check();
  await atBothWidths(page, "editor-co-applicants", "#co_applicant_ids");
  await page.fill("#co-applicant-search", "ドット道東");
  await page.waitForFunction(() => [...document.querySelectorAll("#co-applicant-list label:not([hidden])")].some((label) => label.textContent.includes("ドット道東")));
  check((await page.locator("#co-applicant-list label:not([hidden]) input:checked").count()) === 1, "the chosen one stays in view");
  await page.fill("#co-applicant-search", "");
  check((await page.locator("#co-applicant-list label:not([hidden])").count()) === allCoApplicants, "an empty search shows every organisation");
  await page.locator("#co-applicant-list input:checked").uncheck();
  await page.selectOption("[name='activities[0].budget_lines[0].category']", "personnel");
  await page.fill("[name='activities[0].budget_lines[0].description']", "コーディネーター人件費");
  await page.fill("[name='activities[0].budget_lines[0].amount_yen']", "4,800,000");
  await page.selectOption("[name='activities[0].budget_lines[0].funding_source']", "this_subsidy");
  await page.click("fieldset.activity .add-line");
  await page.selectOption("[name='activities[0].budget_lines[1].category']", "travel");
  await page.fill("[name='activities[0].budget_lines[1].description']", "受入企業訪問旅費");
  await page.fill("[name='activities[0].budget_lines[1].amount_yen']", "300000");
  await page.selectOption("[name='activities[0].budget_lines[1].funding_source']", "this_subsidy");
  // A third row, added and removed again: it must not be saved.
  await page.click("fieldset.activity .add-line");
  await page.fill("[name='activities[0].budget_lines[2].description']", "消す行");
  await page.locator("[name='activities[0].budget_lines[2].description']").locator("xpath=ancestor::tr").locator(".remove-line").click();

  check((await text(page, "#total-all")) === "5,100,000円", `live total: ${await text(page, "#total-all")}`);
  check((await text(page, "#total-subsidy")) === "5,100,000円", "live subsidy-eligible total");
  // The engine's decision beside the form: 5,100,000 × 2/3 = 3,400,000.
  await page.waitForFunction(() => document.querySelector("#decision-panel .subsidy")?.textContent === "3,400,000円");
  check((await text(page, "#decision-panel .verdict")) === "要件を満たしています", "live verdict");
  await screenshot(page, "applicant-editor");

  await Promise.all([page.waitForURL(editUrl), page.click("button[value=save]")]);
  check((await text(page, ".flash")).includes("下書きを保存しました"), "saved");
  check((await page.inputValue("[name='activities[0].budget_lines[1].amount_yen']")) === "300000", "saved line kept");
  check((await page.locator("[name='activities[0].budget_lines[2].description']").inputValue()) === "", "removed row not saved");

  // A word in an amount: the error is next to the field, in Japanese, and nothing is saved.
  await page.fill("[name='activities[0].budget_lines[1].amount_yen']", "三十万円");
  await page.click("button[value=save]");
  await page.waitForSelector("#activities-0--budget_lines-1--amount_yen-error");
  check((await text(page, "#activities-0--budget_lines-1--amount_yen-error")).includes("数字で入力"), "field error in Japanese");
  await page.fill("[name='activities[0].budget_lines[1].amount_yen']", "300000");

  await Promise.all([page.waitForURL(/\/applications\/\d+$/), page.click("button[value=submit]")]);
  check((await text(page, "#application-state")) === "申請済", `state after submit: ${await text(page, "#application-state")}`);
  check((await text(page, ".flash")).includes("申請しました"), "submitted notice");
  await screenshot(page, "applicant-submitted");
  await page.goto(`${baseUrl}/applicant`);
  check((await text(page, "#my-applications")).includes("申請済"), "dashboard shows the new state");
});

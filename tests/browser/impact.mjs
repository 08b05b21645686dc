// The program manager weighs a rule change before it is made: the budget forecast on /manager,
// then the impact page with the cap on awards lowered from 3 to 2 — the organisation it would
// refuse, the charts and the budget total under both rules — and a typo taken back to its field.
import { baseUrl, check, login, run, screenshot, text } from "./lib.mjs";

await run("impact", async (page) => {
  await login(page, "jimukyoku@meti.example");
  await page.goto(`${baseUrl}/manager`);
  const forecast = await text(page, "#forecast");
  check(forecast.includes("290,000,000円"), `the year's budget: ${forecast}`);
  check((await text(page, "#forecast-awards")).includes("目標 30 件"), "awards against the target");

  await page.goto(`${baseUrl}/manager/programs`);
  await Promise.all([page.waitForURL(/\/manager\/programs\/impact$/), page.click("text=規則案の影響を試算する")]);
  check((await page.inputValue("#award_cap")) === "3", "the cap in force fills the form");
  await page.fill("#award_cap", "2");
  await Promise.all([
    page.waitForResponse((response) => response.url().endsWith("/manager/programs/impact") && response.request().method() === "POST"),
    page.click("#impact-form button:has-text('影響を試算する')"),
  ]);
  await page.waitForSelector("#impact-result");
  const changed = await text(page, "#impact-changed");
  check(changed.includes("株式会社御祓川") && changed.includes("申請不可"), `御祓川 would be refused: ${changed}`);
  check((await text(page, "#impact-summary")).includes("案では申請できなくなるものが 1 件"), await text(page, "#impact-summary"));
  check((await page.locator("#chart-frame rect").count()) >= 2, "the chart by frame has its bars");
  check((await page.locator("#chart-ordinal rect").count()) >= 2, "the chart by award ordinal has its bars");
  const budget = await text(page, "#impact-budget");
  const totals = budget.split("\n").find((line) => line.startsWith("補助金額の合計")) || "";
  const [current, draft] = totals.match(/[\d,]+円/g) || [];
  check(current && draft && current !== draft, `the budget total changes: ${totals}`);
  // Both decisions of the refused application, side by side.
  const refused = page.locator("#impact-changed details", { has: page.locator("summary", { hasText: "R8-0004" }) });
  await refused.locator("summary").click();
  const sideBySide = (await refused.locator(".side-by-side").innerText()).trim();
  check(sideBySide.includes("採択回数の上限は2回です"), `the draft's finding: ${sideBySide}`);
  // The ledger's organisations with two awards would be refused too, should they apply again.
  check((await text(page, "#ledger-summary")).match(/申請できなくなる団体は \d+ 団体/), await text(page, "#ledger-summary"));
  check((await text(page, "#ledger-changed")).includes("上限に達しており申請不可"), "refused organisations of the ledger are listed");
  await screenshot(page, "impact-award-cap");
  await page.setViewportSize({ width: 390, height: 844 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 390, `no sideways scroll at 390 px: ${width}`);
  await screenshot(page, "impact-award-cap-390");
  await page.setViewportSize({ width: 1280, height: 900 });

  // A typo: the summary links to the field, which keeps what was typed.
  await page.fill("#rate\\.right_hand\\.2", "半分");
  await Promise.all([page.waitForLoadState("load"), page.click("#impact-form button:has-text('影響を試算する')")]);
  await page.waitForSelector("#error-summary");
  await page.click("#error-summary a");
  check(await page.evaluate(() => document.activeElement && document.activeElement.id === "rate.right_hand.2"), "the link focuses the field");
  check((await page.inputValue("#rate\\.right_hand\\.2")) === "半分", "what was typed is kept");
  check((await page.getAttribute("#rate\\.right_hand\\.2", "aria-invalid")) === "true", "the field is marked invalid");
});

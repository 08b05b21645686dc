// The finance officer of 塩尻市 reviews a budget line: adjusts it with a reason, and sees
// the totals follow.
import { baseUrl, check, login, run, screenshot, text, xlsxParts } from "./lib.mjs";

await run("officer", async (page) => {
  await login(page, "zaisei@city-shiojiri.example");
  check(new URL(page.url()).pathname === "/finance", `home is the queue, got ${page.url()}`);
  const queue = await text(page, "#queue");
  check(queue.includes("R8-0005"), "queue lists 塩尻市's submitted applications");
  check(!queue.includes("R8-0001"), "queue leaves out 塩尻市's draft: it is its applicant's until submitted");
  check(!queue.includes("R8-0002"), "queue leaves out other municipalities");
  await screenshot(page, "officer-queue");

  await page.locator("#queue tr", { hasText: "R8-0005" }).locator("text=審査する").click();
  check((await text(page, "#effective-total")) === "10,000,000円", "total before review");
  const row = page.locator("tr", { hasText: "人事制度設計（外注）" });
  await row.locator("input[value=adjust]").check();
  await row.locator("input[name=amount_yen]").fill("1500000");
  await row.locator("input[name=reason]").fill("見積の再確認により減額");
  await Promise.all([page.waitForLoadState("load"), row.locator("button[type=submit]").click()]);
  check((await text(page, ".flash")).includes("審査を記録しました"), "review recorded");
  const after = page.locator("tr", { hasText: "人事制度設計（外注）" });
  check((await after.innerText()).includes("調整") && (await after.innerText()).includes("見積の再確認により減額"), "line shows the adjustment and reason");
  check((await text(page, "#effective-total")) === "9,500,000円", `total after review: ${await text(page, "#effective-total")}`);
  await screenshot(page, "officer-review");
  // The lines as a workbook for the municipality's books: the adjusted amount, a 合計 row, the
  // subsidy calculation on its own sheet, the header frozen and filtered.
  const xlsx = await page.request.get(`${baseUrl}${await page.getAttribute("a[href$='/budget.xlsx']", "href")}`);
  const workbook = xlsxParts(await xlsx.body());
  check(xlsx.status() === 200 && workbook.sheets.length >= 2, `a workbook of ${workbook.sheets.length} sheets`);
  check(workbook.strings.includes("見積の再確認により減額") && workbook.strings.includes("合計"), "the lines with their reasons and a total");
  check(workbook.sheets[0].includes("<autoFilter") && workbook.sheets[0].includes('state="frozen"'), "the lines' header is filtered and frozen");
  check(workbook.sheets[0].includes("1500000"), "the adjusted amount is a number");

  // An adjustment without a reason is refused and changes nothing.
  const line = page.locator("tr", { hasText: "伴走支援員" });
  await line.locator("input[value=adjust]").check();
  await line.locator("input[name=amount_yen]").fill("1");
  await Promise.all([page.waitForLoadState("load"), line.locator("button[type=submit]").click()]);
  const refusedLine = page.locator("tr", { hasText: "伴走支援員" });
  check((await refusedLine.locator("[role=alert]").innerText()).includes("調整の理由を入力してください"), "refused without reason, as an alert at its line");
  check((await page.locator(".flash").count()) === 0, "and not as a notice of success");
  check((await refusedLine.locator("input[value=adjust]").isChecked()) && (await refusedLine.locator("input[name=amount_yen]").inputValue()) === "1", "what was chosen and typed is kept");
  check((await text(page, "#effective-total")) === "9,500,000円", "nothing changed");
});

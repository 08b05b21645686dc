// The program manager filters the pipeline, starts the review of a submitted application
// and selects it (採択); the award-limit, KPI and programme pages answer.
import { baseUrl, check, login, run, screenshot, text } from "./lib.mjs";

await run("manager", async (page) => {
  await login(page, "jimukyoku@meti.example");
  check(new URL(page.url()).pathname === "/manager", `home is the pipeline, got ${page.url()}`);
  await screenshot(page, "manager-pipeline");
  await page.selectOption("#f-state", "submitted");
  await Promise.all([page.waitForURL(/state=submitted/), page.click("form.filters button[type=submit]")]);
  const rows = await text(page, "#pipeline");
  check(rows.includes("R8-0002") && !rows.includes("R8-0003"), `filtered pipeline: ${rows}`);

  await page.click("text=R8-0002");
  await Promise.all([page.waitForLoadState("load"), page.click("button[data-action=start_review]")]);
  check((await text(page, "#application-state")) === "審査中", "under review");
  await Promise.all([page.waitForLoadState("load"), page.click("button[data-action=select]")]);
  check((await text(page, "#application-state")) === "採択", `selected: ${await text(page, ".flash")}`);
  await screenshot(page, "manager-selected");

  await page.goto(`${baseUrl}/manager/award-limits`);
  check((await page.locator("#at-cap tr").count()) > 1, "organisations at the cap are listed");
  await page.goto(`${baseUrl}/manager/kpis`);
  check((await text(page, "#awards-per-year")).includes("令和4年度"), "awards per year");
  check((await text(page, "#continuation")).includes("令和8年度"), "the new award counts in the continuation KPI");
  await page.goto(`${baseUrl}/manager/programs`);
  check((await text(page, "#fy-2026")).includes("令和8年度"), "programme year view");
  check((await page.locator("text=右腕人材枠（right_hand）").count()) >= 1, "frames with their rules");
});

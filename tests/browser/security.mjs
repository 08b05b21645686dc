// An applicant who types another organisation's application URL gets 403; a form posted
// without its CSRF token is refused with 403 and changes nothing.
import { baseUrl, check, login, run, screenshot, text } from "./lib.mjs";

await run("security", async (page) => {
  await login(page, "tanaka@meguru.example");
  // R8-0002 belongs to 株式会社つばめいと.
  const response = await page.goto(`${baseUrl}/applications/2`);
  check(response.status() === 403, `another organisation's application: ${response.status()}`);
  check((await text(page, "h1")) === "アクセスできません", "403 page in Japanese");
  await screenshot(page, "security-403");
  const edit = await page.goto(`${baseUrl}/applications/2/edit`);
  check(edit.status() === 403, "nor its editor");

  await page.goto(`${baseUrl}/applications/1/edit`);
  const before = await page.inputValue("#title");
  await page.fill("#title", "CSRF で書き換えられた事業名");
  await page.evaluate(() => document.querySelectorAll("#editor input[name=csrf_token]").forEach((e) => e.remove()));
  const [posted] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.click("button[value=save]")]);
  check(posted.status() === 403, `form without CSRF token: ${posted.status()}`);
  await page.waitForLoadState("load");
  check((await text(page, "h1")) === "アクセスできません", "refusal page");

  // A token from somewhere else is refused too.
  const forged = await page.evaluate(async (url) => {
    const r = await fetch(url, { method: "POST", body: new URLSearchParams({ csrf_token: "0".repeat(64), title: "x" }) });
    return r.status;
  }, `${baseUrl}/applications/1/edit`);
  check(forged === 403, `forged token: ${forged}`);

  await page.goto(`${baseUrl}/applications/1/edit`);
  check((await page.inputValue("#title")) === before, "nothing was saved");
});

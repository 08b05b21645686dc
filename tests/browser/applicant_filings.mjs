// The applicant's filings in a real browser: the dashboard's next deadlines, an evidence file
// of the legal basis uploaded from the editor (a fake PDF refused next to the field, a real one
// listed and downloaded under its Japanese name), then another organisation's applicant files
// the interim report of a running project (an empty report refused next to the field first).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { baseUrl, check, login, run, screenshot, text } from "./lib.mjs";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hojokin-evidence-"));
const realPdf = path.join(dir, "経営発達支援計画 認定通知書.pdf");
fs.writeFileSync(realPdf, "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
const fakePdf = path.join(dir, "偽物.pdf");
fs.writeFileSync(fakePdf, "<html><body>not a pdf</body></html>\n");

await run("applicant_filings", async (page, context) => {
  await login(page, "kobayashi@shiojiri-mirai.example");
  // R8-0005 was returned for correction: its answer is the next deadline.
  const deadlines = await text(page, "#next-deadlines");
  check(deadlines.includes("差戻しへの回答") && deadlines.includes("R8-0005"), `next deadlines: ${deadlines}`);
  check(/あと\d+日|本日が期限|期限超過/.test(deadlines), `standing in words: ${deadlines}`);

  await page.click("#my-applications tr:has-text('R8-0005') >> text=修正する");
  await page.waitForURL(/\/applications\/\d+\/edit$/);
  const editUrl = page.url();

  // Bytes that are not a PDF: refused next to the file input, nothing listed.
  await page.setInputFiles("#evidence_file", fakePdf);
  await Promise.all([page.waitForLoadState("load"), page.click("#evidence-upload-button")]);
  await page.waitForSelector("#evidence_file-error");
  check((await text(page, "#evidence_file-error")).includes("PDF・PNG・JPEG のファイルだけを添付できます"), "refusal in Japanese");
  check((await page.locator(".evidence-files li").count()) === 0, "nothing stored");

  await page.setInputFiles("#evidence_file", realPdf);
  await Promise.all([page.waitForURL(`${editUrl}#evidence`), page.click("#evidence-upload-button")]);
  check((await text(page, ".flash")).includes("を添付しました"), "upload notice");
  const listed = await text(page, ".evidence-files");
  check(listed.includes("経営発達支援計画 認定通知書.pdf") && listed.includes("PDF"), `listed: ${listed}`);
  await screenshot(page, "applicant-evidence");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(".evidence-files a:has-text('認定通知書')"),
  ]);
  check(download.suggestedFilename() === "経営発達支援計画 認定通知書.pdf", `downloaded as ${download.suggestedFilename()}`);
  const saved = await download.path();
  check(fs.readFileSync(saved, "latin1").startsWith("%PDF-1.4"), "the bytes as uploaded");

  // 御祓川's project is running: its applicant files the interim report.
  await context.clearCookies();
  await login(page, "yamada@misogigawa.example");
  await page.click("#my-applications a:has-text('R8-0004')");
  await page.waitForURL(/\/applications\/\d+$/);
  check((await text(page, "#application-state")) === "事業実施中", "in progress");
  await Promise.all([page.waitForURL(/\/interim-report$/), page.click("a[data-form=submit_interim_report]")]);
  check((await text(page, "h1")).includes("遂行状況報告（中間報告）"), "the report's page");
  await Promise.all([page.waitForLoadState("load"), page.click("#filing-form button[type=submit]")]);
  await page.waitForSelector("#payload-body-error");
  check((await text(page, "#payload-body-error")).includes("報告の内容を入力してください"), "empty report refused");
  await page.fill("#payload-body", "受入企業 4 社でインターンシップを開始し、2 名の採用内定が出ています。");
  await Promise.all([page.waitForURL(/\/applications\/\d+$/), page.click("#filing-form button[type=submit]")]);
  check((await text(page, ".flash")).includes("「中間報告の提出」を受け付けました"), `filed: ${await text(page, ".flash")}`);
  await screenshot(page, "applicant-interim-report");
  // Filed: the interim report is no longer due, so the dashboard no longer lists it.
  await page.goto(`${baseUrl}/applicant`);
  const after = (await page.locator("#next-deadlines").count()) ? await text(page, "#next-deadlines") : "";
  check(!after.includes("遂行状況報告"), `interim report deadline closed: ${after}`);
});
fs.rmSync(dir, { recursive: true, force: true });

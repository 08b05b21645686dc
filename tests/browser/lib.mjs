// Shared by the browser specs: headless Debian chromium driven by playwright-core, a fresh
// profile per run, the server's URL and demo credentials from the Rust test that started it.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

export const baseUrl = mustEnv("HOJOKIN_URL");
const users = JSON.parse(mustEnv("HOJOKIN_USERS"));
const artifacts = mustEnv("HOJOKIN_ARTIFACTS");

function mustEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser specs through cargo test`);
  return value;
}

export function passwordOf(email) {
  const password = users[email];
  if (!password) throw new Error(`no demo password for ${email}`);
  return password;
}

export async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "hojokin-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.HOJOKIN_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run",
    ],
    viewport: { width: 1280, height: 900 },
    locale: "ja-JP",
  });
  context.setDefaultTimeout(15000);
  const page = context.pages()[0] || (await context.newPage());
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, close };
}

export async function login(page, email) {
  await page.goto(`${baseUrl}/login`);
  await page.fill("#email", email);
  await page.fill("#password", passwordOf(email));
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/login")), page.click("form button[type=submit]")]);
}

/// From the applicant's dashboard: a new 右腕人材枠 draft in 塩尻市 for the demo's project period,
/// with 塩尻市 and 信州大学 as partners and a first development activity with an executive
/// internship; leaves the editor open (its budget lines still empty) and returns its URL.
export async function startShiojiriDraft(page, title, activity) {
  await page.click("text=新しい申請を作成する");
  await page.fill("#title", title);
  await page.selectOption("#frame", "right_hand");
  await page.selectOption("#municipality", { label: "塩尻市（長野県）" });
  await Promise.all([page.waitForURL(/\/applications\/\d+\/edit$/), page.click("main form button[type=submit]")]);
  await page.fill("#project_start", "2026-07-01");
  await page.fill("#project_end", "2027-02-26");
  await page.selectOption("[name='partners[0].kind']", "municipality");
  await page.fill("[name='partners[0].name']", "塩尻市");
  await page.click("#add-partner");
  await page.selectOption("[name='partners[1].kind']", "education_institution");
  await page.fill("[name='partners[1].name']", "信州大学");
  await page.fill("[name='activities[0].name']", activity);
  await page.selectOption("[name='activities[0].category']", "development");
  await page.check("[name='activities[0].executive_internship']");
  return page.url();
}

export async function screenshot(page, name) {
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: false });
}

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

export async function text(page, selector) {
  return (await page.locator(selector).first().innerText()).trim();
}

/// Runs a spec; any failure leaves a screenshot and exits non-zero.
export async function run(name, spec) {
  const browser = await launch();
  try {
    await spec(browser.page, browser.context);
    console.log(`${name}: ok`);
  } catch (error) {
    try { await screenshot(browser.page, `${name}-failure`); } catch { /* the page may be gone */ }
    console.error(`${name}: FAILED: ${error.stack || error}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

/// The mails the test's SMTP server accepted so far (HOJOKIN_SMTP_LOG, one JSON object a
/// line: to, subject, text, html…); only finished lines count.
export function mails() {
  const log = mustEnv("HOJOKIN_SMTP_LOG");
  const content = fs.existsSync(log) ? fs.readFileSync(log, "utf-8") : "";
  return content.slice(0, content.lastIndexOf("\n") + 1).split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/// Waits until the SMTP server has accepted a mail to `to` whose subject contains every one of
/// `subjectParts`, and returns it; fails after `timeout` ms naming what did arrive.
export async function waitForMail(to, subjectParts, timeout = 20000) {
  const parts = [subjectParts].flat();
  const matches = (mail) => mail.to.includes(to) && parts.every((part) => mail.subject.includes(part));
  const deadline = Date.now() + timeout;
  for (;;) {
    const found = mails().find(matches);
    if (found) return found;
    if (Date.now() > deadline) {
      const seen = mails().filter((mail) => mail.to.includes(to)).map((mail) => mail.subject);
      throw new Error(`no mail to ${to} with ${parts.join(" + ")} within ${timeout} ms; to ${to}: ${JSON.stringify(seen)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/// The WCAG 2.1 levels A and AA, as axe-core tags its rules (JIS X 8341-3:2016 is WCAG 2.0 AA;
/// 2.1 adds reflow, contrast of controls and the like).
export const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf-8");

/// Runs axe-core on the page as it is now and returns its WCAG 2.1 A/AA violations, each as
/// { id, impact, help, targets: [selector…] }. The pages' Content-Security-Policy allows
/// scripts from their own origin only, so a `<script>` that carries axe's source
/// (page.addScriptTag({ content })) is refused; page.evaluate runs the source through the
/// DevTools protocol, which the policy does not govern, and the page's own scripts are left as
/// they are. Loaded once per document.
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) {
    await page.evaluate(`${axeSource}\n;undefined`);
  }
  return page.evaluate(async (tags) => {
    const results = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(" ")),
    }));
  }, WCAG_21_AA);
}

/// How wide the document is, in CSS pixels: more than the viewport means the page itself
/// scrolls sideways.
export async function documentWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/// Screenshots `<name>.png` and `<name>-390.png` with `selector` at the top, checking each
/// width with axe and the phone for sideways scrolling.
export async function atBothWidths(page, name, selector) {
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    const violations = await axeViolations(page);
    check(violations.length === 0, `${name} at ${viewport.width} px: ${JSON.stringify(violations)}`);
    if (viewport === PHONE) {
      const width = await documentWidth(page);
      check(width <= PHONE.width, `${name} is ${width} px wide at 390 px`);
    }
    await page.locator(selector).first().evaluate((element) => element.scrollIntoView({ block: "start" }));
    await screenshot(page, viewport === PHONE ? `${name}-390` : name);
  }
  await page.setViewportSize(DESKTOP);
}

/// A downloaded .xlsx opened as what it is, a zip of XML (read with Python's zipfile): each
/// worksheet's XML in order and the shared strings, so a spec can check the autofilter, the
/// frozen header and the text a person would see.
export function xlsxParts(bytes) {
  const script = [
    "import io, json, sys, zipfile",
    "z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))",
    "names = sorted((n for n in z.namelist() if n.startswith('xl/worksheets/sheet')), key=lambda n: int(n[19:-4]))",
    "print(json.dumps({'sheets': [z.read(n).decode() for n in names], 'strings': z.read('xl/sharedStrings.xml').decode() if 'xl/sharedStrings.xml' in z.namelist() else ''}))",
  ].join("\n");
  return JSON.parse(execFileSync("python3", ["-c", script], { input: bytes }).toString("utf8"));
}

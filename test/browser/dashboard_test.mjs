// Browser test of the admin dashboard: drives the page served by a running sluice admin server
// in headless Chromium (Debian's, through playwright-core) and checks that it is live and that
// its Replay button replays a dead letter.
//
//   SLUICE_URL          admin server base URL, e.g. http://127.0.0.1:18080 (required)
//   SLUICE_ADMIN_TOKEN  bearer token typed into the page's token field and sent by the checks
//   SCREENSHOT          where to write a full-page PNG (default dashboard.png)
//   CHROMIUM            browser executable (default /usr/bin/chromium)
//
// The server must be under load (the processed total keeps growing) and hold at least one dead
// letter that succeeds when replayed. Prints progress, then one JSON summary line; exits 0 on
// success, 1 on failure.
import { chromium } from "playwright-core";

const BASE = (process.env.SLUICE_URL || "").replace(/\/+$/, "");
const TOKEN = process.env.SLUICE_ADMIN_TOKEN || "";
const SCREENSHOT = process.env.SCREENSHOT || "dashboard.png";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const OVERALL_MS = 90_000;

const started = Date.now();
const summary = { ok: false, url: BASE, screenshot: null };
const log = (msg) => console.log(`[dashboard_test +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Failure extends Error {}
const fail = (msg) => { throw new Failure(msg); };

// A GET against the admin API from Node, with the token; returns {status, body}.
async function apiGet(path) {
  const headers = { Accept: "application/json" };
  if (TOKEN) headers.Authorization = `Bearer ${TOKEN}`;
  const res = await fetch(`${BASE}${path}`, { headers, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body };
}

async function readInt(page, selector) {
  const t = ((await page.locator(selector).textContent({ timeout: 5000 })) || "").trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

async function run(state) {
  if (!BASE) fail("SLUICE_URL is not set (e.g. http://127.0.0.1:18080)");

  log(`launching ${CHROMIUM}`);
  state.browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const context = await state.browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  state.page = page;
  page.on("pageerror", (e) => state.pageErrors.push(String(e && e.message || e)));
  page.on("console", (m) => { if (m.type() === "error") state.consoleErrors.push(m.text()); });
  page.on("dialog", (d) => d.dismiss());  // the test never confirms a purge

  let resp;
  try {
    resp = await page.goto(`${BASE}/`, { waitUntil: "domcontentloaded", timeout: 15_000 });
  } catch (e) {
    fail(`cannot load ${BASE}/: ${String(e.message).split("\n")[0]}`);
  }
  if (!resp || !resp.ok()) fail(`GET ${BASE}/ answered ${resp ? resp.status() : "nothing"}`);
  log(`loaded ${BASE}/ (${resp.status()} ${resp.headers()["content-type"] || ""})`);
  for (const sel of ["#token", "#status", "#total-processed", "#total-rate", "#dead-letter-count", "#dead-letters"]) {
    if ((await page.locator(sel).count()) !== 1) fail(`the page has no single ${sel} element`);
  }
  if (TOKEN) await page.locator("#token").fill(TOKEN);

  // 1. The page is live: the processed total shows up and then moves.
  let first;
  try {
    const h = await page.waitForFunction(() => {
      const t = (document.querySelector("#total-processed")?.textContent || "").trim();
      return /^\d+$/.test(t) && Number(t) > 0 ? Number(t) : false;
    }, null, { timeout: 20_000, polling: 200 });
    first = await h.jsonValue();
  } catch {
    const status = await page.locator("#status").textContent().catch(() => "?");
    fail(`#total-processed never showed a number > 0 (status line: ${JSON.stringify(status)})`);
  }
  summary.processed_first = first;
  log(`#total-processed = ${first}`);
  let second;
  try {
    const h = await page.waitForFunction((was) => {
      const t = (document.querySelector("#total-processed")?.textContent || "").trim();
      return /^\d+$/.test(t) && Number(t) !== was ? Number(t) : false;
    }, first, { timeout: 20_000, polling: 200 });
    second = await h.jsonValue();
  } catch {
    fail(`#total-processed stayed at ${first} for 20 s: the page is not live (or the server is idle)`);
  }
  summary.processed_second = second;
  summary.rate_text = ((await page.locator("#total-rate").textContent()) || "").trim();
  summary.dead_letter_count = await readInt(page, "#dead-letter-count");
  log(`#total-processed moved ${first} -> ${second}; #total-rate = ${summary.rate_text}; #dead-letter-count = ${summary.dead_letter_count}`);

  // 2. Replay a dead letter from its row.
  const rows = page.locator("#dead-letters tr[data-id]");
  try {
    await rows.first().waitFor({ state: "attached", timeout: 30_000 });
  } catch {
    fail("no row appeared in #dead-letters within 30 s (does the server hold a dead letter?)");
  }
  const id = await rows.first().getAttribute("data-id");
  if (!id) fail("the first dead-letter row has an empty data-id");
  summary.replayed_id = id;
  const processedBefore = await readInt(page, "#total-processed");
  const before = await apiGet(`/api/dead-letters/${encodeURIComponent(id)}`);
  log(`dead letter ${id}: GET /api/dead-letters/${id} -> ${before.status} before the replay`);
  const row = page.locator(`#dead-letters tr[data-id="${id}"]`);
  await row.locator("button.replay").click({ timeout: 5000 });
  log(`clicked Replay on ${id} (processed total ${processedBefore})`);

  const deadline = Date.now() + 30_000;
  let seen = {};
  for (;;) {
    const rowGone = (await row.count()) === 0;
    const dl = await apiGet(`/api/dead-letters/${encodeURIComponent(id)}`).catch((e) => ({ status: `error: ${e.message}` }));
    const msg = await apiGet(`/api/messages/${encodeURIComponent(id)}`).catch((e) => ({ status: `error: ${e.message}` }));
    const processedNow = await readInt(page, "#total-processed");
    const grew = processedNow != null && processedBefore != null && processedNow > processedBefore;
    seen = {
      row_gone: rowGone,
      dead_letter_status: dl.status,
      message_status: msg.status,
      message_state: msg.body && typeof msg.body === "object" ? (msg.body.state || msg.body.error || null) : null,
      processed_before: processedBefore,
      processed_now: processedNow,
    };
    if (rowGone && dl.status === 404 && (msg.status === 404 || grew)) break;
    if (Date.now() > deadline) {
      const action = await page.locator("#action-state").textContent().catch(() => "?");
      fail(`replay of ${id} not confirmed within 30 s: ${JSON.stringify(seen)}; page said ${JSON.stringify(action)}`);
    }
    await sleep(500);
  }
  Object.assign(summary, seen);
  log(`after replay: row gone, GET /api/dead-letters/${id} -> ${seen.dead_letter_status}, ` +
      `GET /api/messages/${id} -> ${seen.message_status}${seen.message_state ? ` (${seen.message_state})` : ""}, ` +
      `processed ${processedBefore} -> ${seen.processed_now}`);
  summary.status_line = (await page.locator("#status > span:not(:empty)").allTextContents()).map((t) => t.trim()).join(" | ");
  log(`status line: ${summary.status_line}`);

  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  summary.screenshot = SCREENSHOT;
  log(`screenshot written to ${SCREENSHOT}`);
  if (state.pageErrors.length) fail(`the page threw: ${state.pageErrors.join(" | ")}`);
  summary.ok = true;
}

const state = { browser: null, page: null, pageErrors: [], consoleErrors: [] };
let code = 1;
let timer;
try {
  const running = run(state);
  running.catch(() => {});  // after a timeout its late rejection is expected, not unhandled
  await Promise.race([
    running,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Failure(`overall timeout of ${OVERALL_MS / 1000} s`)), OVERALL_MS); }),
  ]);
  code = 0;
} catch (e) {
  summary.error = e instanceof Failure ? e.message : String(e && e.stack || e);
  console.error(`FAIL: ${summary.error}`);
  if (state.consoleErrors.length) console.error(`browser console errors: ${state.consoleErrors.slice(0, 5).join(" | ")}`);
  if (state.page && !summary.screenshot) {
    // A picture of the failure helps more than none; best effort only.
    await state.page.screenshot({ path: SCREENSHOT, fullPage: true, timeout: 5000 })
      .then(() => { summary.screenshot = SCREENSHOT; }).catch(() => {});
  }
} finally {
  clearTimeout(timer);
  if (state.browser) await Promise.race([state.browser.close().catch(() => {}), sleep(10_000)]);
}
summary.elapsed_ms = Date.now() - started;
console.log(JSON.stringify(summary));
process.exit(code);

// Drives the API's Swagger UI in headless chromium (Debian's /usr/bin/chromium through playwright-core):
// queues a generation with "Try it out" on POST /v1/generations, reads the 202 and the job id from the UI,
// waits for the job to succeed, then reads it once more through the UI's GET /v1/generations/{id}.
//
//   node swagger-ui.mjs <base-url> <output-folder>
//
// Environment: PLAYWRIGHT_CORE_DIR (a folder whose node_modules holds playwright-core; default: the nearest
// .tools/browser above this script, as deploy/browser.sh installs it), CHROMIUM (default /usr/bin/chromium),
// TIMEOUT_SECONDS (overall failure guard, default 120).
// Writes 01-after-execute.png and 02-final.png (and failure.png on a failure) to the output folder, prints one
// JSON summary line prefixed with "SUMMARY " and exits 0 only when every step passed.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [baseArg, outArg] = process.argv.slice(2);
if (!baseArg || !outArg) {
  console.error('usage: node swagger-ui.mjs <base-url> <output-folder>');
  process.exit(2);
}
const baseUrl = baseArg.replace(/\/+$/, '');
const outDir = path.resolve(outArg);
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const timeoutMs = Number(process.env.TIMEOUT_SECONDS || 120) * 1000;
const deadline = Date.now() + timeoutMs;
const requestBody = { prompt: 'a red apple', seed: 7, steps: 5, resolution: 16 };

const summary = { ok: false, step: 'start', statusCode: null, id: null, finalStatus: null, screenshots: [], error: null };
const log = (message) => console.error(`[swagger-ui] ${message}`);

function findPlaywrightDir() {
  if (process.env.PLAYWRIGHT_CORE_DIR) return path.resolve(process.env.PLAYWRIGHT_CORE_DIR);
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.tools', 'browser');
    if (existsSync(path.join(candidate, 'node_modules', 'playwright-core'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

function remaining() {
  const left = deadline - Date.now();
  if (left <= 0) throw new Error(`gave up after the overall timeout of ${timeoutMs / 1000} s (step: ${summary.step})`);
  return left;
}

const step = (name) => { summary.step = name; log(name); };

/** The JSON body the UI shows for the latest execution inside an operation block. */
async function readLiveResponse(block) {
  const row = block.locator('.live-responses-table tbody tr.response').first();
  await row.waitFor({ state: 'visible', timeout: remaining() });
  const code = Number((await row.locator('td.response-col_status').first().innerText()).trim());
  // The description cell holds the body and the headers, each in its own <pre>: take the one that parses as JSON.
  for (const text of await row.locator('td.response-col_description pre').allInnerTexts()) {
    try { return { code, body: JSON.parse(text) }; } catch { /* the headers, or not JSON */ }
  }
  const cell = await row.locator('td.response-col_description').innerText();
  throw new Error(`the UI showed response ${code} without a JSON body: ${cell.slice(0, 500)}`);
}

/** Page coordinates (not the viewport's) of an element's top and bottom edges. */
const edges = (locator) => locator.evaluate((e) => {
  const r = e.getBoundingClientRect();
  return { top: r.top + window.scrollY, bottom: r.bottom + window.scrollY };
}, undefined, { timeout: remaining() });

/** A screenshot of the page from the top of one element to the bottom of another (the whole page wherever one is missing). */
async function shot(page, name, from, to) {
  const file = path.join(outDir, name);
  let clip;
  if (from && to) {
    const top = Math.max(0, (await edges(from)).top - 16);
    const bottom = (await edges(to)).bottom + 16;
    const width = page.viewportSize()?.width ?? 1280;
    clip = { x: 0, y: top, width, height: Math.max(1, bottom - top) };
  }
  await page.screenshot({ path: file, fullPage: true, clip, timeout: clip ? remaining() : 15_000 });
  summary.screenshots.push(file);
  log(`screenshot ${file}`);
}

let context;
let profileDir;
let page;
const watchdog = setTimeout(() => {
  summary.error = `watchdog: still running ${timeoutMs / 1000 + 30} s after the start (step: ${summary.step})`;
  console.log('SUMMARY ' + JSON.stringify(summary));
  process.exit(1);
}, timeoutMs + 30_000);

try {
  mkdirSync(outDir, { recursive: true });
  step('load playwright-core');
  const toolsDir = findPlaywrightDir();
  if (!toolsDir) throw new Error('playwright-core not found: run deploy/browser.sh (it installs it into .tools/browser), or set PLAYWRIGHT_CORE_DIR');
  let chromium;
  try {
    ({ chromium } = createRequire(path.join(toolsDir, 'package.json'))('playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core cannot be loaded from ${toolsDir}: run deploy/browser.sh (${e.message.split('\n')[0]})`);
  }
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: run deploy/browser.sh (apt-get install chromium)`);

  step('launch chromium');
  profileDir = mkdtempSync(path.join(os.tmpdir(), 't2i-chromium-profile-'));
  // A persistent context over a new, empty folder: chromium's --user-data-dir is fresh for every run.
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    chromiumSandbox: false,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: remaining(),
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (e) => log(`page error: ${e.message}`));

  step('open /swagger');
  await page.goto(`${baseUrl}/swagger/index.html`, { waitUntil: 'load', timeout: remaining() });
  const post = page.locator('#operations-Generations-CreateGeneration');
  await post.waitFor({ state: 'visible', timeout: remaining() });

  step('expand POST /v1/generations');
  await post.locator('.opblock-summary').first().click({ timeout: remaining() });
  step('click "Try it out"');
  await post.locator('button.try-out__btn').click({ timeout: remaining() });
  step('fill the request body');
  const textarea = post.locator('textarea.body-param__text');
  await textarea.fill(JSON.stringify(requestBody, null, 2), { timeout: remaining() });
  step('click "Execute"');
  await post.locator('button.execute').click({ timeout: remaining() });

  step('read the POST response from the UI');
  const created = await readLiveResponse(post);
  summary.statusCode = created.code;
  summary.id = created.body?.id ?? null;
  // From the page's title down to the live response: the request body as sent, the curl, the 202 and its body.
  await shot(page, '01-after-execute.png', page.locator('.swagger-ui .information-container'), post.locator('.live-responses-table'));
  if (created.code !== 202) throw new Error(`POST /v1/generations answered ${created.code}, expected 202: ${JSON.stringify(created.body)}`);
  if (typeof summary.id !== 'string' || !summary.id) throw new Error(`no generation id in the response body: ${JSON.stringify(created.body)}`);
  log(`generation ${summary.id}: ${created.body.status}`);

  step(`poll GET /v1/generations/${summary.id} until it ends`);
  let status = created.body.status;
  for (;;) {
    const response = await fetch(`${baseUrl}/v1/generations/${encodeURIComponent(summary.id)}`, { signal: AbortSignal.timeout(remaining()) });
    if (!response.ok) throw new Error(`GET /v1/generations/${summary.id} answered ${response.status}: ${await response.text()}`);
    const job = await response.json();
    if (job.status !== status) log(`status: ${job.status}`);
    status = job.status;
    if (['succeeded', 'failed', 'canceled'].includes(status)) {
      if (status !== 'succeeded') throw new Error(`the job ended ${status}: ${JSON.stringify(job)}`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, remaining())));
  }

  step('read the job through the UI (GET /v1/generations/{id})');
  const get = page.locator('#operations-Generations-GetGeneration');
  await get.scrollIntoViewIfNeeded({ timeout: remaining() });
  await get.locator('.opblock-summary').first().click({ timeout: remaining() });
  await get.locator('button.try-out__btn').click({ timeout: remaining() });
  await get.locator('tr[data-param-name="id"] input').fill(summary.id, { timeout: remaining() });
  await get.locator('button.execute').click({ timeout: remaining() });
  const read = await readLiveResponse(get);
  summary.finalStatus = read.body?.status ?? null;
  await shot(page, '02-final.png', get, get.locator('.live-responses-table'));
  if (read.code !== 200) throw new Error(`the UI's GET /v1/generations/${summary.id} answered ${read.code}: ${JSON.stringify(read.body)}`);
  if (read.body?.id !== summary.id) throw new Error(`the UI's GET returned another job: ${JSON.stringify(read.body)}`);
  if (summary.finalStatus !== 'succeeded') throw new Error(`the UI's GET shows status ${summary.finalStatus}, expected succeeded`);

  summary.step = 'done';
  summary.ok = true;
} catch (e) {
  // Playwright's messages carry terminal colours: keep the summary plain.
  summary.error = (e?.message ?? String(e)).replace(/\u001b\[[0-9;]*m/g, '');
  log(`FAILED at "${summary.step}": ${summary.error}`);
  if (page) {
    try { await shot(page, 'failure.png'); } catch (s) { log(`no failure screenshot: ${s.message}`); }
  }
} finally {
  clearTimeout(watchdog);
  if (context) await context.close().catch((e) => log(`closing chromium: ${e.message}`));
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
}

console.log('SUMMARY ' + JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);

// What every browser script shares: playwright-core (as deploy/browser.sh installs it) driving Debian's headless
// chromium on a fresh profile, an overall failure guard, screenshots, and the one JSON summary line the C# test reads.
//
// A script calls run(name, async ({ page, step, remaining, shot, log, summary }) => { ... }) and sets what it found on
// summary; run prints "SUMMARY {...}" (ok true only when the body returned) and exits 0 only then, after closing
// chromium and writing failure.png on a failure.
//   node <script> <base-url> <output-folder>
// Environment: PLAYWRIGHT_CORE_DIR (a folder whose node_modules holds playwright-core; default: the nearest
// .tools/browser above this file), CHROMIUM (default /usr/bin/chromium), TIMEOUT_SECONDS (default 120).
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPlaywrightDir() {
  if (process.env.PLAYWRIGHT_CORE_DIR) return path.resolve(process.env.PLAYWRIGHT_CORE_DIR);
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.tools', 'browser');
    if (existsSync(path.join(candidate, 'node_modules', 'playwright-core'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

function loadChromium() {
  const toolsDir = findPlaywrightDir();
  if (!toolsDir) throw new Error('playwright-core not found: run deploy/browser.sh (it installs it into .tools/browser), or set PLAYWRIGHT_CORE_DIR');
  try {
    return createRequire(path.join(toolsDir, 'package.json'))('playwright-core').chromium;
  } catch (e) {
    throw new Error(`playwright-core cannot be loaded from ${toolsDir}: run deploy/browser.sh (${e.message.split('\n')[0]})`);
  }
}

export async function run(name, body) {
  const [baseArg, outArg] = process.argv.slice(2);
  if (!baseArg || !outArg) {
    console.error(`usage: node ${name}.mjs <base-url> <output-folder>`);
    process.exit(2);
  }
  const baseUrl = baseArg.replace(/\/+$/, '');
  const outDir = path.resolve(outArg);
  const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
  const timeoutMs = Number(process.env.TIMEOUT_SECONDS || 120) * 1000;
  const deadline = Date.now() + timeoutMs;
  const summary = { ok: false, step: 'start', screenshots: [], error: null };
  const log = (message) => console.error(`[${name}] ${message}`);
  const step = (label) => { summary.step = label; log(label); };
  const remaining = () => {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`gave up after the overall timeout of ${timeoutMs / 1000} s (step: ${summary.step})`);
    return left;
  };

  let context;
  let profileDir;
  let page;
  /** Page coordinates (not the viewport's) of an element's top and bottom edges. */
  const edges = (locator) => locator.evaluate((e) => {
    const r = e.getBoundingClientRect();
    return { top: r.top + window.scrollY, bottom: r.bottom + window.scrollY };
  }, undefined, { timeout: remaining() });
  /** A screenshot of the page from the top of one element to the bottom of another (the whole page when either is missing). */
  const shot = async (file, from, to) => {
    const target = path.join(outDir, file);
    let clip;
    if (from && to) {
      const top = Math.max(0, (await edges(from)).top - 16);
      const bottom = (await edges(to)).bottom + 16;
      clip = { x: 0, y: top, width: page.viewportSize()?.width ?? 1280, height: Math.max(1, bottom - top) };
    }
    await page.screenshot({ path: target, fullPage: true, clip, timeout: clip ? remaining() : 15_000 });
    summary.screenshots.push(target);
    log(`screenshot ${target}`);
  };

  const watchdog = setTimeout(() => {
    summary.error = `watchdog: still running ${timeoutMs / 1000 + 30} s after the start (step: ${summary.step})`;
    console.log('SUMMARY ' + JSON.stringify(summary));
    process.exit(1);
  }, timeoutMs + 30_000);

  try {
    mkdirSync(outDir, { recursive: true });
    step('load playwright-core');
    const chromium = loadChromium();
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
    await body({ page, baseUrl, outDir, step, remaining, shot, log, summary });
    summary.step = 'done';
    summary.ok = true;
  } catch (e) {
    // Playwright's messages carry terminal colours: keep the summary plain.
    summary.error = (e?.message ?? String(e)).replace(/\u001b\[[0-9;]*m/g, '');
    log(`FAILED at "${summary.step}": ${summary.error}`);
    if (page) {
      try { await shot('failure.png'); } catch (s) { log(`no failure screenshot: ${s.message}`); }
    }
  } finally {
    clearTimeout(watchdog);
    if (context) await context.close().catch((e) => log(`closing chromium: ${e.message}`));
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  }
  console.log('SUMMARY ' + JSON.stringify(summary));
  process.exit(summary.ok ? 0 : 1);
}

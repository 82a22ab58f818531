// The playground on a service that needs an API key (see browser.mjs): the page asks for it, and with it entered
// (kept in the browser's local storage) reads the models, runs a generation and shows its images, which it fetches
// with the key too. The summary holds what the page showed; 01-key-asked.png and 02-with-key.png.
//   API_KEY=<key> node playground-key.mjs <base-url> <output-folder>
import { run } from './browser.mjs';

await run('playground-key', async ({ page, baseUrl, step, remaining, shot, summary }) => {
  step('open the playground without a key');
  await page.goto(`${baseUrl}/`, { waitUntil: 'load', timeout: remaining() });
  await page.locator('#key-box').waitFor({ state: 'visible', timeout: remaining() });
  summary.asked = await page.locator('#job-status').innerText();
  await shot('01-key-asked.png', page.locator('#compose'), page.locator('#job'));

  step('enter the key');
  await page.locator('#api-key').fill(process.env.API_KEY);
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => document.querySelectorAll('#model option').length > 0, undefined, { timeout: remaining() });
  summary.stored = await page.evaluate(() => localStorage.getItem('texttoimage.apiKey') !== null);

  step('generate with the key');
  await page.locator('#steps').fill('2');
  await page.locator('#prompt').fill('a red apple');
  await page.locator('#submit').click();
  await page.waitForFunction(() => window.playgroundLog.some((e) => e.type === 'end'), undefined, { timeout: remaining() });
  summary.status = (await page.evaluate(() => window.playgroundLog.find((e) => e.type === 'end'))).status;
  summary.imagesShown = await page.locator('#result img').evaluateAll((images) => images.filter((i) => i.complete && i.naturalWidth > 0).length);
  await shot('02-with-key.png', page.locator('#job'), page.locator('#result'));
});

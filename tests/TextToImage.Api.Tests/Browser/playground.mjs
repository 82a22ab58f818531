// Drives the playground at / in headless chromium (see browser.mjs), with the keyboard and the mouse as a person would:
//   1. a prompt typed and submitted with Enter: the base stage's images appear before the final ones; "same seed
//      again" makes the same PNG;
//   2. a refused request: the problem's message stands next to the field it names;
//   3. a long job, cancelled from the page;
//   4. an edit: the first result uploaded, a mask painted by mouse and by keyboard, the inpainting run.
//   node playground.mjs <base-url> <output-folder>
// Screenshots 01-generated.png, 02-field-error.png, 03-canceled.png, 04-mask.png, 05-inpainted.png; the summary holds
// what the page showed (stage order, statuses, the edit's kind and mask) for the C# test to check.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './browser.mjs';

await run('playground', async ({ page, baseUrl, outDir, step, remaining, shot, log, summary }) => {
  const events = () => page.evaluate(() => window.playgroundLog);
  /** Waits for the page's next event of this type after `count` of them, and returns it. */
  async function next(type, count) {
    await page.waitForFunction(([t, n]) => window.playgroundLog.filter((e) => e.type === t).length > n, [type, count], { timeout: remaining() });
    return (await events()).filter((e) => e.type === type)[count];
  }
  const count = async (type) => (await events()).filter((e) => e.type === type).length;

  step('open the playground');
  await page.goto(`${baseUrl}/`, { waitUntil: 'load', timeout: remaining() });
  await next('ready', 0);
  summary.models = await page.locator('#model option').count();

  step('type a prompt and press Enter');
  await page.locator('#steps').fill('8');
  await page.locator('#seed').fill('11');
  await page.locator('#prompt').focus();
  await page.keyboard.type('a red apple');
  await page.keyboard.press('Enter');
  const ended = await next('end', 0);
  const stages = (await events()).filter((e) => e.type === 'stage');
  // The final stage's images are the job's images (shown at the end); every stage before it arrives while the job runs.
  summary.generated = { status: ended.status, images: ended.images, stageOrder: stages.map((e) => e.stageIndex),
    baseBeforeFinal: stages.length > 0 && stages[0].stageIndex === 0 && stages[0].live && stages[0].at < ended.at };
  await shot('01-generated.png', page.locator('#job'), page.locator('#result'));
  const firstImage = await page.locator('#result img').first().getAttribute('src');
  const png = await page.evaluate(async (url) => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer())), firstImage);
  const picture = path.join(outDir, 'picture.png');
  writeFileSync(picture, Buffer.from(png));

  step('same seed again');
  await page.locator('#result button', { hasText: 'Same seed again' }).click();
  summary.again = { status: (await next('end', 1)).status };
  const againImage = await page.locator('#result img').first().getAttribute('src');
  const againPng = await page.evaluate(async (url) => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer())), againImage);
  summary.again.sameBytes = againPng.length === png.length && againPng.every((b, i) => b === png[i]);

  step('a refused request: steps 0');
  await page.locator('#steps').fill('0');
  const errors = await count('error');
  await page.locator('#submit').click();
  await next('error', errors);
  summary.fieldError = { text: await page.locator('#err-steps').innerText(), invalid: await page.locator('#steps').getAttribute('aria-invalid') };
  await shot('02-field-error.png', page.locator('#compose'), page.locator('#job-form'));

  step('a long job, cancelled');
  const maxSteps = await page.locator('#steps').getAttribute('max');
  await page.locator('#steps').fill(maxSteps);
  const submitted = await count('submitted');
  await page.locator('#submit').click();
  await next('submitted', submitted);
  await page.locator('#progress progress').first().waitFor({ state: 'attached', timeout: remaining() });
  await page.locator('#cancel').focus();
  await page.keyboard.press('Enter');
  const canceled = await next('end', 2);
  summary.canceled = { status: canceled.status, maxSteps: Number(maxSteps) };
  await shot('03-canceled.png', page.locator('#job'), page.locator('#job'));

  step('an edit: upload, paint a mask, inpaint');
  await page.locator('input[name="mode"][value="edit"]').check();
  await page.locator('#steps').fill('8');
  await page.locator('#image').setInputFiles(picture);
  const canvas = page.locator('#mask-canvas');
  await canvas.waitFor({ state: 'visible', timeout: remaining() });
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 8 });
  await page.mouse.up();
  await canvas.focus();
  for (const key of ['ArrowDown', 'ArrowDown', 'Space', 'ArrowRight', 'Space']) await page.keyboard.press(key);
  await shot('04-mask.png', page.locator('#mask-field'), page.locator('#mask-field'));
  await page.locator('#prompt').fill('a green apple');
  await page.locator('#submit').click();
  const edited = await next('end', 3);
  const job = await page.evaluate(async () => {
    const id = (await window.playgroundLog.filter((e) => e.type === 'submitted').at(-1)).id;
    return (await fetch(`/v1/generations/${id}`)).json();
  });
  summary.edit = { status: edited.status, kind: job.kind, hasMask: Boolean(job.inputs?.mask) };
  await shot('05-inpainted.png', page.locator('#job'), page.locator('#result'));
  log(JSON.stringify(summary));
});

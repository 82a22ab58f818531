// Drives the API's Swagger UI in headless chromium (see browser.mjs): queues a generation with "Try it out" on
// POST /v1/generations, reads the 202 and the job id from the UI, waits for the job to succeed, then reads it once
// more through the UI's GET /v1/generations/{id}.
//   node swagger-ui.mjs <base-url> <output-folder>
// Writes 01-after-execute.png and 02-final.png (failure.png on a failure); the summary holds statusCode, id, finalStatus.
import { run } from './browser.mjs';

const requestBody = { prompt: 'a red apple', seed: 7, steps: 5, resolution: 16 };

/** The JSON body the UI shows for the latest execution inside an operation block. */
async function readLiveResponse(block, remaining) {
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

await run('swagger-ui', async ({ page, baseUrl, step, remaining, shot, log, summary }) => {
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
  const created = await readLiveResponse(post, remaining);
  summary.statusCode = created.code;
  summary.id = created.body?.id ?? null;
  // From the page's title down to the live response: the request body as sent, the curl, the 202 and its body.
  await shot('01-after-execute.png', page.locator('.swagger-ui .information-container'), post.locator('.live-responses-table'));
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
  const read = await readLiveResponse(get, remaining);
  summary.finalStatus = read.body?.status ?? null;
  await shot('02-final.png', get, get.locator('.live-responses-table'));
  if (read.code !== 200) throw new Error(`the UI's GET /v1/generations/${summary.id} answered ${read.code}: ${JSON.stringify(read.body)}`);
  if (read.body?.id !== summary.id) throw new Error(`the UI's GET returned another job: ${JSON.stringify(read.body)}`);
  if (summary.finalStatus !== 'succeeded') throw new Error(`the UI's GET shows status ${summary.finalStatus}, expected succeeded`);

});

// The playground: a client of the public API and nothing else. It reads /v1/models for the form,
// queues jobs, follows each job's event stream (fetch, not EventSource, so an API key can be sent),
// shows every stage's images as they are stored, and lists recent jobs.
// window.playgroundLog records what the page showed and when, for the browser test and for anyone debugging.

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = 'texttoimage.apiKey';
const state = { models: [], job: null, follow: null, cursor: null, imageUrls: [] };
window.playgroundLog = [];
const note = (type, details = {}) => window.playgroundLog.push({ type, at: performance.now(), ...details });

class Problem extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `The server answered ${status}.`);
    this.status = status;
    this.body = body;
  }
}

function headers(extra = {}) {
  const key = $('api-key').value.trim();
  return key ? { ...extra, 'X-Api-Key': key } : extra;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  const type = response.headers.get('content-type') || '';
  const body = type.includes('json') ? await response.json() : null;
  if (!response.ok) {
    if (response.status === 401) $('key-box').hidden = false;
    throw new Problem(response.status, body);
  }
  return body;
}

// ---- errors, next to the field they name -------------------------------------------------------

function clearErrors() {
  for (const element of document.querySelectorAll('.error')) element.textContent = '';
  for (const element of document.querySelectorAll('[aria-invalid]')) element.removeAttribute('aria-invalid');
}

function showError(error) {
  const problem = error instanceof Problem ? error.body : null;
  const fields = problem?.errors ? Object.entries(problem.errors) : [];
  const unplaced = [];
  for (const [name, messages] of fields) {
    const field = name.charAt(0).toLowerCase() + name.slice(1);
    const slot = $(`err-${field}`);
    const input = $(field);
    if (slot && input && !input.closest('[hidden]')) {
      slot.textContent = messages.join(' ');
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', slot.id);
    } else unplaced.push(`${field}: ${messages.join(' ')}`);
  }
  const summary = fields.length ? 'Please correct the fields marked.' : (problem?.title && problem?.detail ? `${problem.title} ${problem.detail}` : error.message);
  $('form-error').textContent = [summary, ...unplaced].join(' ');
  const first = document.querySelector('[aria-invalid="true"]');
  (first || $('form-error')).focus?.();
  note('error', { status: error.status, fields: fields.map(([name]) => name) });
}

// ---- the form ------------------------------------------------------------------------------------

const mode = () => document.querySelector('input[name="mode"]:checked').value;
const model = () => state.models.find((m) => m.name === $('model').value);

function showMode() {
  const current = mode();
  for (const field of document.querySelectorAll('[data-modes]')) field.hidden = !field.dataset.modes.split(' ').includes(current);
  $('mask-field').hidden = current !== 'edit' || !mask.image;
  $('submit').textContent = { generate: 'Generate', edit: 'Edit', upscale: 'Upscale' }[current];
  fillResolutions();
}

function option(select, value, text, selected) {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = text;
  element.selected = selected;
  select.append(element);
}

function fillModel() {
  const m = model();
  if (!m) return;
  const base = m.stages[0];
  const limits = m.limits;
  $('sampler').replaceChildren();
  for (const name of limits.samplers) option($('sampler'), name, name, name === base.sampler);
  Object.assign($('steps'), { value: base.steps, max: limits.maxSteps });
  Object.assign($('guidanceScale'), { value: base.guidanceScale, max: limits.maxGuidanceScale });
  $('numImages').max = limits.maxImages;
  $('seed').max = limits.maxSeed;
  $('prompt').maxLength = limits.maxPromptLength;
  $('jumpLength').max = limits.maxJumpLength;
  $('jumpCount').max = limits.maxJumpCount;
  const sr = m.stages[1];
  Object.assign($('noiseLevel'), { value: sr?.noiseLevel ?? '', max: limits.maxNoiseLevel ?? '' });
  fillResolutions();
}

function fillResolutions() {
  const m = model();
  if (!m) return;
  const previous = Number($('resolution').value);
  // An upscale starts from the first stage's size: only the larger ones can be asked for.
  const sizes = mode() === 'upscale' ? m.resolutions.slice(1) : m.resolutions;
  $('resolution').replaceChildren();
  const chosen = sizes.includes(previous) ? previous : Math.max(...sizes);
  for (const size of sizes) option($('resolution'), size, `${size} × ${size}`, size === chosen);
}

async function loadModels() {
  try {
    state.models = await api('/v1/models');
  } catch (error) {
    $('job-status').textContent = error.status === 401
      ? 'This service needs an API key: enter it in the API key field (it is used as soon as you leave the field).'
      : `The models could not be read: ${error.message}`;
    return false;
  }
  $('model').replaceChildren();
  for (const m of state.models) option($('model'), m.name, m.description ? `${m.name} — ${m.description}` : m.name, m.default);
  if (!state.models.length) $('form-error').textContent = 'This service has no model configured.';
  fillModel();
  return true;
}

const number = (id) => ($(id).value.trim() === '' ? undefined : Number($(id).value));
const text = (id) => ($(id).value === '' ? undefined : $(id).value);

function generationBody() {
  return {
    prompt: $('prompt').value, negativePrompt: text('negativePrompt'), model: text('model'), resolution: number('resolution'),
    seed: number('seed'), steps: number('steps'), sampler: text('sampler'), guidanceScale: number('guidanceScale'), numImages: number('numImages'),
  };
}

function uploadForm(fields) {
  const form = new FormData();
  const file = $('image').files[0];
  if (file) form.append('image', file, file.name);
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, String(value));
  return form;
}

async function submit(event) {
  event?.preventDefault();
  clearErrors();
  const kind = mode();
  $('submit').disabled = true;
  try {
    let job;
    if (kind === 'generate') {
      job = await api('/v1/generations', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(generationBody()) });
    } else if (kind === 'edit') {
      const form = uploadForm({
        prompt: $('prompt').value, negativePrompt: text('negativePrompt'), model: text('model'), resolution: number('resolution'),
        seed: number('seed'), steps: number('steps'), sampler: text('sampler'), guidanceScale: number('guidanceScale'),
        strength: number('strength'), jumpLength: number('jumpLength'), jumpCount: number('jumpCount'),
      });
      if (mask.painted) form.append('mask', await mask.png(), 'mask.png');
      job = await api('/v1/edits', { method: 'POST', body: form });
    } else {
      const form = uploadForm({ prompt: $('prompt').value, model: text('model'), resolution: number('resolution'), seed: number('seed'), noiseLevel: number('noiseLevel') });
      job = await api('/v1/upscales', { method: 'POST', body: form });
    }
    note('submitted', { id: job.id, kind });
    show(job);
    follow(job.id);
    refreshHistory();
  } catch (error) {
    showError(error);
  } finally {
    $('submit').disabled = false;
  }
}

// ---- the job: status, progress, each stage's images ---------------------------------------------

function forgetImages() {
  for (const url of state.imageUrls) URL.revokeObjectURL(url);
  state.imageUrls = [];
}

/** An image of the API as an object URL: fetched with the key, which an <img src> could not send. */
async function imageUrl(url) {
  const response = await fetch(url, { headers: headers() });
  if (!response.ok) throw new Problem(response.status, null);
  const local = URL.createObjectURL(await response.blob());
  state.imageUrls.push(local);
  return local;
}

async function figures(images, caption) {
  const row = document.createElement('div');
  row.className = 'images';
  for (const [i, image] of images.entries()) {
    const figure = document.createElement('figure');
    const img = document.createElement('img');
    img.alt = `${caption} ${i + 1}, seed ${image.seed}`;
    img.src = await imageUrl(image.url);
    const label = document.createElement('figcaption');
    // A model with a prompt vocabulary draws the training subject nearest the prompt: say which.
    label.textContent = `seed ${image.seed}, ${image.width}×${image.height}` + (image.drawnAs ? `, drawn as “${image.drawnAs}”` : '');
    figure.append(img, label);
    row.append(figure);
  }
  return row;
}

function show(job) {
  if (state.job?.id !== job.id) {
    forgetImages();
    $('progress').replaceChildren();
    $('stages').replaceChildren();
    $('result').replaceChildren();
  }
  state.job = job;
  const where = job.status === 'queued' && job.queuePosition ? `, number ${job.queuePosition} in the queue` : '';
  const prompt = job.request?.prompt ? ` “${job.request.prompt}”` : '';
  $('job-status').textContent = `${job.kind} ${job.id}${prompt}: ${job.status}${where}${job.cancelRequested && job.status === 'running' ? ' (cancel requested)' : ''}`;
  $('cancel').disabled = !['queued', 'running'].includes(job.status);
  if (job.error) $('job-status').textContent += ` — ${job.error.code}: ${job.error.message}`;
  if (job.progress) showProgress(job.progress);
}

function showProgress(p) {
  let bar = document.querySelector(`#progress progress[data-stage-index="${p.stageIndex}"]`);
  if (!bar) {
    const label = document.createElement('label');
    label.textContent = `${p.stage} (stage ${p.stageIndex + 1} of ${p.stageCount})`;
    bar = document.createElement('progress');
    bar.dataset.stageIndex = p.stageIndex;
    label.append(bar);
    $('progress').append(label);
  }
  bar.max = p.totalSteps;
  bar.value = p.step;
  bar.title = `step ${p.step} of ${p.totalSteps}`;
}

/** live: the stage arrived while the job ran (not read back from the finished job). */
async function showStage(stage, live) {
  if (document.querySelector(`#stages [data-stage-index="${stage.stageIndex}"]`)) return;
  const block = document.createElement('div');
  block.className = 'stage';
  block.dataset.stageIndex = stage.stageIndex;
  const title = document.createElement('h3');
  title.textContent = `${stage.stage}: ${stage.resolution} × ${stage.resolution}`;
  block.append(title);
  $('stages').append(block);
  block.append(await figures(stage.images, stage.stage));
  note('stage', { stageIndex: stage.stageIndex, resolution: stage.resolution, live });
}

async function showResult(job) {
  show(job);
  const result = $('result');
  result.replaceChildren();
  if (job.status !== 'succeeded') {
    note('end', { status: job.status });
    return;
  }
  // Progress is written a few times a second, so the last steps may not have been seen: a finished job did them all.
  for (const bar of document.querySelectorAll('#progress progress')) bar.value = bar.max;
  const title = document.createElement('h3');
  title.textContent = 'Result';
  const row = await figures(job.images, 'image');
  for (const [i, figure] of [...row.children].entries()) {
    const link = document.createElement('a');
    link.href = figure.querySelector('img').src;
    // The file keeps the extension of its key: png, webp or jpg, as the job asked.
    link.download = `${job.id}-${i}.${job.images[i].url.split('.').pop()}`;
    link.textContent = 'Download';
    figure.querySelector('figcaption').append(' · ', link);
  }
  const r = job.request;
  const settings = document.createElement('p');
  settings.className = 'settings';
  settings.textContent = `model ${r.model}, ${r.resolution} px, seed ${r.seed}, ${r.sampler}, ${r.steps} steps, guidance ${r.guidanceScale}` +
    (job.metrics ? `, ran ${job.metrics.runSeconds} s after ${job.metrics.queueSeconds} s queued` : '');
  result.append(title, row, settings);
  if (job.kind === 'generation') {
    const again = document.createElement('button');
    again.type = 'button';
    again.textContent = 'Same seed again';
    again.addEventListener('click', () => sameSeedAgain(job));
    result.append(again);
  }
  note('end', { status: job.status, images: job.images.length });
}

function sameSeedAgain(job) {
  const r = job.request;
  document.querySelector('input[name="mode"][value="generate"]').checked = true;
  $('model').value = r.model;
  fillModel();
  showMode();
  Object.assign($('prompt'), { value: r.prompt });
  $('negativePrompt').value = r.negativePrompt ?? '';
  $('resolution').value = r.resolution;
  for (const name of ['seed', 'steps', 'guidanceScale', 'numImages']) $(name).value = r[name];
  $('sampler').value = r.sampler;
  submit();
}

/** Server-sent events over fetch: the standard framing, one event per blank line. */
async function* events(id, signal) {
  const response = await fetch(`/v1/generations/${id}/events`, { headers: headers({ Accept: 'text/event-stream' }), signal });
  if (!response.ok) throw new Problem(response.status, await response.json().catch(() => null));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replaceAll('\r\n', '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) yield { type, data: JSON.parse(data.join('\n')) };
    }
  }
}

async function follow(id) {
  state.follow?.abort();
  const follow = new AbortController();
  state.follow = follow;
  try {
    for await (const event of events(id, follow.signal)) {
      if (event.type === 'status') show(event.data);
      else if (event.type === 'progress') showProgress(event.data);
      else if (event.type === 'stage') await showStage(event.data, true);
      else if (event.type === 'end') {
        for (const stage of event.data.stageImages) await showStage(stage, false);
        await showResult(event.data);
        refreshHistory();
        return;
      }
    }
  } catch (error) {
    if (!follow.signal.aborted) $('job-status').textContent = `Following the job stopped: ${error.message}`;
  }
}

async function cancel() {
  if (!state.job) return;
  try {
    show(await api(`/v1/generations/${state.job.id}/cancel`, { method: 'POST' }));
    note('cancel', { id: state.job.id });
  } catch (error) {
    showError(error);
  }
}

// ---- recent jobs -----------------------------------------------------------------------------------

async function refreshHistory(older = false) {
  try {
    const page = await api(`/v1/generations?limit=10${older && state.cursor ? `&cursor=${encodeURIComponent(state.cursor)}` : ''}`);
    if (!older) $('history-list').replaceChildren();
    for (const job of page.items) {
      const item = document.createElement('li');
      const open = document.createElement('button');
      open.type = 'button';
      open.textContent = `${new Date(job.createdAt).toLocaleString()} · ${job.kind} · ${job.status} · ${job.request?.prompt || '(no prompt)'}`;
      open.addEventListener('click', () => openJob(job.id));
      item.append(open);
      $('history-list').append(item);
    }
    state.cursor = page.nextCursor;
    $('history-older').hidden = !page.nextCursor;
  } catch (error) {
    if (error.status !== 401) $('history-list').textContent = `The recent jobs could not be read: ${error.message}`;
  }
}

async function openJob(id) {
  try {
    const job = await api(`/v1/generations/${id}`);
    show(job);
    // The stream starts with the job as it is: stored stages, then progress until it ends (at once when it has).
    follow(id);
  } catch (error) {
    showError(error);
  }
}

// ---- the inpainting mask: white is repainted, black kept ---------------------------------------------

const mask = {
  image: null, canvas: null, painted: false, cursor: { x: 0, y: 0 },
  load(file) {
    const picture = new Image();
    picture.onload = () => {
      this.image = picture;
      this.canvas = Object.assign(document.createElement('canvas'), { width: picture.naturalWidth, height: picture.naturalHeight });
      this.clear();
      this.cursor = { x: picture.naturalWidth / 2, y: picture.naturalHeight / 2 };
      showMode();
      this.draw();
    };
    picture.src = URL.createObjectURL(file);
  },
  clear() {
    const context = this.canvas.getContext('2d');
    context.fillStyle = '#000';
    context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.painted = false;
    this.draw();
  },
  /** Brush size in the picture's pixels: the slider is in the 256-pixel view's. */
  radius() { return (Number($('brush').value) / 2) * (this.canvas.width / $('mask-canvas').width); },
  paint(x, y) {
    const context = this.canvas.getContext('2d');
    context.fillStyle = $('erase').checked ? '#000' : '#fff';
    context.beginPath();
    context.arc(x, y, this.radius(), 0, 2 * Math.PI);
    context.fill();
    this.painted = true;
    this.draw();
  },
  draw() {
    if (!this.image) return;
    const view = $('mask-canvas');
    const context = view.getContext('2d');
    context.globalAlpha = 1;
    context.drawImage(this.image, 0, 0, view.width, view.height);
    context.globalAlpha = 0.5;
    context.globalCompositeOperation = 'screen';
    context.drawImage(this.canvas, 0, 0, view.width, view.height);
    context.globalCompositeOperation = 'source-over';
    context.globalAlpha = 1;
    const scale = view.width / this.canvas.width;
    context.strokeStyle = '#ff9800';
    context.beginPath();
    context.arc(this.cursor.x * scale, this.cursor.y * scale, this.radius() * scale, 0, 2 * Math.PI);
    context.stroke();
  },
  at(event) {
    const box = $('mask-canvas').getBoundingClientRect();
    return { x: ((event.clientX - box.left) / box.width) * this.canvas.width, y: ((event.clientY - box.top) / box.height) * this.canvas.height };
  },
  png() { return new Promise((resolve) => this.canvas.toBlob(resolve, 'image/png')); },
};

function wireMask() {
  const view = $('mask-canvas');
  let drawing = false;
  view.addEventListener('pointerdown', (event) => {
    drawing = true;
    view.setPointerCapture(event.pointerId);
    mask.cursor = mask.at(event);
    mask.paint(mask.cursor.x, mask.cursor.y);
  });
  view.addEventListener('pointermove', (event) => {
    mask.cursor = mask.at(event);
    if (drawing) mask.paint(mask.cursor.x, mask.cursor.y);
    else mask.draw();
  });
  view.addEventListener('pointerup', () => { drawing = false; });
  view.addEventListener('keydown', (event) => {
    const step = Math.max(1, mask.radius());
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      const [dx, dy] = moves[event.key];
      mask.cursor = { x: Math.min(mask.canvas.width, Math.max(0, mask.cursor.x + dx)), y: Math.min(mask.canvas.height, Math.max(0, mask.cursor.y + dy)) };
      mask.draw();
    } else if (event.key === ' ' || event.key === 'Enter') mask.paint(mask.cursor.x, mask.cursor.y);
    else return;
    event.preventDefault();
  });
  $('brush').addEventListener('input', () => mask.draw());
  $('clear-mask').addEventListener('click', () => mask.clear());
  $('image').addEventListener('change', () => {
    const file = $('image').files[0];
    if (file) mask.load(file);   // also for an upscale: switching to an edit keeps the picture
  });
}

// ---- start -----------------------------------------------------------------------------------------

function start() {
  $('api-key').value = localStorage.getItem(KEY_STORAGE) ?? '';
  if ($('api-key').value) $('key-box').hidden = false;
  $('api-key').addEventListener('change', () => {
    localStorage.setItem(KEY_STORAGE, $('api-key').value.trim());
    loadModels().then((ok) => ok && refreshHistory());
  });
  for (const radio of document.querySelectorAll('input[name="mode"]')) radio.addEventListener('change', showMode);
  $('model').addEventListener('change', fillModel);
  $('job-form').addEventListener('submit', submit);
  $('prompt').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); submit(); }
  });
  $('cancel').addEventListener('click', cancel);
  $('history-refresh').addEventListener('click', () => loadModels().then(() => refreshHistory()));
  $('history-older').addEventListener('click', () => refreshHistory(true));
  wireMask();
  showMode();
  loadModels().then((ok) => {
    if (ok) refreshHistory();
    note('ready', { models: state.models.length });
  });
}

start();

// pushmesh dashboard: a plain ES module, served as is (no build step), that
// uses only the public local API (GET /id, /peers, /routes, /config,
// /statuses, /healthz, GET /msg as Server-Sent Events, POST /msg/<topic>). Everything that comes from the node
// or from other nodes is put on the page with textContent or as attribute
// values, never parsed as HTML; the page's CSP also enforces Trusted Types,
// so an HTML sink given a string would throw instead of rendering it.

const $ = (id) => document.getElementById(id);
const MAX_SHOWN = 200;
const MAX_STATUSES = 50;
const REFRESH_MS = 2000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15000;

const short = (id) => (typeof id === 'string' && id.length > 12 ? `${id.slice(0, 12)}…` : String(id ?? ''));

/** A local API answer that is not 2xx (status 0: the node could not be reached). */
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  describe() {
    return this.status === 0 ? this.message : `HTTP ${this.status} ${this.code}: ${this.message}`;
  }
}

/** fetch + JSON, turning every failure into an ApiError with the node's own `{"error":{code,message}}` when it sent one. */
async function api(path, init = {}) {
  let res;
  try {
    res = await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers }, cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'ERR_NETWORK', `node unreachable (${err.message})`);
  }
  const text = await res.text();
  let body;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const e = body && typeof body === 'object' ? body.error : undefined;
    const code = typeof e?.code === 'string' ? e.code : `HTTP_${res.status}`;
    const message = typeof e?.message === 'string' ? e.message : text.slice(0, 200) || res.statusText || 'request failed';
    throw new ApiError(res.status, code, message);
  }
  return body;
}

// ---- problems banner: one line per failing part, cleared when it recovers ----

const problems = new Map();

function showProblem(key, text) {
  problems.set(key, text);
  renderProblems();
}

function clearProblem(key) {
  if (problems.delete(key)) renderProblems();
}

function renderProblems() {
  const el = $('problem');
  el.textContent = [...problems.values()].join(' · ');
  el.hidden = problems.size === 0;
}

function setPill(id, text, state) {
  const el = $(id);
  el.textContent = text;
  el.className = `pill${state ? ` ${state}` : ''}`;
  el.dataset.state = state || '';
}

// ---- this node: ID and card ----

let card = null;
let vip6 = '';

async function loadCard() {
  try {
    // GET /id is the card plus the node's VIP6 address; the card shown and copied is the card alone.
    ({ vip6 = '', ...card } = await api('/id'));
  } catch (err) {
    showProblem('card', `cannot read this node's card: ${err.describe()}`);
    return;
  }
  clearProblem('card');
  $('node-id').textContent = card.id;
  $('node-endpoint').textContent = card.endpoint;
  $('node-vip6').textContent = vip6;
  $('card-json').textContent = JSON.stringify(card, null, 2);
  $('copy-card').disabled = false;
}

$('copy-card').addEventListener('click', async () => {
  if (!card) return;
  const status = $('copy-status');
  const text = JSON.stringify(card, null, 2);
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = 'copied';
    status.dataset.state = 'copied';
  } catch {
    // No clipboard permission (or not a secure context): select the card so the user can copy it.
    const range = document.createRange();
    range.selectNodeContents($('card-json'));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    status.textContent = 'selected: press Ctrl+C to copy';
    status.dataset.state = 'selected';
  }
});

// ---- health, queue and peers, polled ----

/** A table row of cells: each a string, or [text, { cls, title }]; set with textContent only. */
function row(id, cells) {
  const tr = document.createElement('tr');
  if (id !== undefined) {
    tr.dataset.id = String(id);
    tr.title = String(id);
  }
  for (const c of cells) {
    const [value, opts] = Array.isArray(c) ? c : [c, {}];
    const td = document.createElement('td');
    td.textContent = String(value ?? '');
    if (opts.cls) td.className = opts.cls;
    if (opts.title) td.title = opts.title;
    tr.append(td);
  }
  return tr;
}

const yesNo = (v) => (v ? 'yes' : 'no');
const count = (v) => (v === undefined || v === null ? '' : String(v));
const idCell = (id) => [short(id), { cls: 'id', title: String(id ?? '') }];

function clock(ms) {
  const t = new Date(Number(ms));
  return Number.isNaN(t.getTime()) ? ['?', {}] : [t.toLocaleTimeString(), { title: t.toISOString() }];
}

function peerRow(p) {
  return row(p.id, [idCell(p.id), p.transport, p.direction ?? '', yesNo(p.connected), count(p.queued), count(p.sent), count(p.received), count(p.inFlight), count(p.nacked), count(p.refused)]);
}

/** The path a route takes from this node: the next hop, then the destination when it is further away. */
function routePath(r) {
  if (r.next === r.dest) return 'direct';
  return r.hops > 2 ? `via ${short(r.next)} → … → ${short(r.dest)}` : `via ${short(r.next)} → ${short(r.dest)}`;
}

function routeRow(r) {
  return row(r.dest, [idCell(r.dest), [routePath(r), { title: `next hop ${r.next}` }], count(r.hops), r.kind, yesNo(r.up), r.expires === null ? 'with the link' : clock(r.expires)]);
}

function configData(c) {
  if (c.readable === false) return '(encrypted for other nodes)';
  const text = JSON.stringify(c.data) ?? '';
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

function configRow(c) {
  const key = `${c.namespace}/${c.name}`;
  return row(key, [c.namespace, c.name, count(c.version), idCell(c.owner), clock(c.acceptedAt), [configData(c), { cls: 'wrap' }]]);
}

function statusRow(st) {
  return row(st.id, [[st.id, { cls: 'id' }], idCell(st.to), [st.state, { cls: `state ${st.state}` }], [st.reason ?? '', { cls: 'wrap' }], yesNo(st.receipt), clock(st.updated)]);
}

function emptyRow(text, columns) {
  const tr = document.createElement('tr');
  const td = document.createElement('td');
  td.colSpan = columns;
  td.textContent = text;
  tr.append(td);
  return tr;
}

/** Fills a table body from a list (or one "none" row). */
function fill(tbody, list, render, none, columns) {
  $(tbody).replaceChildren(...(list.length ? list.map(render) : [emptyRow(none, columns)]));
}

const listOf = (body, key) => (Array.isArray(body?.[key]) ? body[key] : []);

async function refresh() {
  try {
    const [health, peers] = await Promise.all([api('/healthz').catch((err) => (err.status === 503 ? { ok: false, state: 'unavailable' } : Promise.reject(err))), api('/peers')]);
    setPill('health', health.ok ? 'healthy' : `unhealthy (${health.state ?? '?'})`, health.ok ? 'ok' : 'bad');
    $('queue-depth').textContent = String(health.queueDepth ?? 0);
    fill('peers', listOf(peers, 'peers'), peerRow, 'none yet', 10);
    clearProblem('node');
    if (!card) await loadCard();
  } catch (err) {
    setPill('health', 'unreachable', 'bad');
    showProblem('node', err instanceof ApiError ? err.describe() : String(err));
    return;
  }
  // The other views fail on their own: one banner line each.
  await Promise.all([
    refreshPart('routes', '/routes', (body) => {
      const list = listOf(body, 'routes');
      fill('routes', list, routeRow, 'none yet', 6);
      $('route-count').textContent = String(list.length);
    }),
    refreshPart('configs', '/config', (body) => {
      const list = listOf(body, 'configs');
      fill('configs', list, configRow, 'none kept', 6);
      $('config-count').textContent = String(list.length);
    }),
    refreshPart('statuses', `/statuses?recent=${MAX_STATUSES}`, (body) => fill('statuses', listOf(body, 'statuses'), statusRow, 'no message sent yet', 6)),
  ]);
}

async function refreshPart(key, path, show) {
  try {
    show(await api(path));
    clearProblem(key);
  } catch (err) {
    showProblem(key, `cannot read ${path.split('?')[0]}: ${err instanceof ApiError ? err.describe() : String(err)}`);
  }
}

async function refreshLoop() {
  await refresh();
  setTimeout(refreshLoop, REFRESH_MS);
}

// ---- received messages: Server-Sent Events, reconnected with backoff ----

let lastSeq = 0;
let shownCount = 0;
let stream = null;
let retryMs = RETRY_MIN_MS;
let retryTimer = null;

function text(cls, value, title) {
  const td = document.createElement('td');
  td.className = cls;
  td.textContent = value;
  if (title) td.title = title;
  return td;
}

function dataText(m) {
  if (m.encoding === 'base64') return `(bytes, base64) ${m.data}`;
  if (typeof m.data === 'string') return m.data;
  return JSON.stringify(m.data);
}

function renderMessage(m) {
  if (!m || typeof m !== 'object') return;
  // After a reconnect the node replays what it holds: skip what is already shown.
  if (typeof m.seq === 'number') {
    if (m.seq <= lastSeq) return;
    lastSeq = m.seq;
  }
  const tr = document.createElement('tr');
  tr.dataset.id = String(m.id);
  const time = new Date(Number(m.time));
  const valid = !Number.isNaN(time.getTime());
  const data = document.createElement('td');
  data.className = 'data';
  const pre = document.createElement('pre');
  pre.textContent = dataText(m);
  data.append(pre);
  const meta = m.meta && typeof m.meta === 'object' ? Object.entries(m.meta) : [];
  if (meta.length) {
    const small = document.createElement('div');
    small.className = 'meta';
    small.textContent = `meta: ${JSON.stringify(Object.fromEntries(meta))}`;
    data.append(small);
  }
  tr.append(
    text('time', valid ? time.toLocaleTimeString() : '?', valid ? time.toISOString() : ''),
    text('topic', String(m.topic ?? '')),
    text('from', m.from ? String(m.from) : '(this node)', m.from ? String(m.from) : ''),
    data,
  );
  const list = $('messages');
  list.prepend(tr);
  while (list.children.length > MAX_SHOWN) list.lastElementChild.remove();
  $('msg-count').textContent = String(++shownCount);
}

function connectStream() {
  retryTimer = null;
  setPill('stream-state', 'connecting', '');
  // since=0: first the messages the node still holds, then live ones.
  const es = new EventSource('/msg?since=0');
  stream = es;
  es.onopen = () => {
    retryMs = RETRY_MIN_MS;
    setPill('stream-state', 'live', 'ok');
    clearProblem('stream');
  };
  es.onmessage = (ev) => {
    try {
      renderMessage(JSON.parse(ev.data));
    } catch (err) {
      showProblem('stream', `could not show a message: ${err.message}`);
    }
  };
  es.addEventListener('end', (ev) => {
    let reason = 'ended';
    try {
      reason = JSON.parse(ev.data).reason;
    } catch {
      /* keep the default */
    }
    reconnectLater(`the node ended the stream (${reason})`);
  });
  es.onerror = () => {
    if (stream !== es) return;
    if (es.readyState === EventSource.CLOSED) {
      reconnectLater('the node refused the stream');
    } else {
      // The browser reconnects by itself (sending Last-Event-ID).
      setPill('stream-state', 'reconnecting', 'bad');
      showProblem('stream', 'message stream interrupted; reconnecting');
    }
  };
}

function reconnectLater(why) {
  stream?.close();
  stream = null;
  if (retryTimer !== null) return;
  setPill('stream-state', 'reconnecting', 'bad');
  showProblem('stream', `${why}; reconnecting in ${Math.round(retryMs / 1000)} s`);
  retryTimer = setTimeout(connectStream, retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
}

// ---- sending ----

function showResult(state, message) {
  const out = $('send-result');
  out.textContent = message;
  out.className = state;
  out.dataset.state = state;
}

$('send-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const to = $('send-to').value.trim();
  const topic = $('send-topic').value.trim();
  const raw = $('send-data').value;
  const ttl = $('send-ttl').value.trim();
  const urgency = $('send-urgency').value;
  if (topic === '') return showResult('bad', 'a topic is required');
  try {
    JSON.parse(raw);
  } catch (err) {
    return showResult('bad', `data is not valid JSON: ${err.message}`);
  }
  const query = new URLSearchParams();
  if (to) query.set('to', to);
  if (ttl) query.set('ttl', ttl);
  if (urgency) query.set('urgency', urgency);
  const qs = query.toString();
  const button = $('send-button');
  button.disabled = true;
  showResult('pending', 'sending…');
  try {
    const r = await api(`/msg/${encodeURIComponent(topic)}${qs ? `?${qs}` : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: raw,
    });
    $('send-result').dataset.id = String(r.id);
    showResult('ok', r.status === 'local' ? `sent ${r.id}: delivered to this node's apps` : `sent ${r.id}: queued for ${short(to)}`);
  } catch (err) {
    delete $('send-result').dataset.id;
    showResult('bad', `not sent: ${err instanceof ApiError ? err.describe() : err.message}`);
  } finally {
    button.disabled = false;
  }
  return refresh();
});

await loadCard();
connectStream();
void refreshLoop();

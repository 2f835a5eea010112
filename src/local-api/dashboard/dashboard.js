// pushmesh dashboard: plain ES module, uses only the public local API.
const $ = (id) => document.getElementById(id);
const short = (id) => (id ? `${id.slice(0, 12)}…` : '(local)');
const MAX_SHOWN = 200;

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

async function loadCard() {
  const card = await getJson('/id');
  $('node-id').textContent = card.id;
  $('node-endpoint').textContent = card.endpoint;
  $('card-json').textContent = JSON.stringify(card, null, 2);
  $('copy-card').onclick = async () => {
    const text = JSON.stringify(card);
    try {
      await navigator.clipboard.writeText(text);
      $('copy-status').textContent = 'copied';
    } catch {
      // Clipboard API needs a secure context or permission: fall back to selecting the text.
      const range = document.createRange();
      range.selectNodeContents($('card-json'));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      $('card-json').parentElement.open = true;
      $('copy-status').textContent = 'selected: press Ctrl+C';
    }
  };
}

async function refresh() {
  try {
    const [health, peers] = await Promise.all([getJson('/healthz'), getJson('/peers')]);
    $('health').textContent = health.ok ? 'healthy' : 'unhealthy';
    $('health').className = `pill ${health.ok ? 'ok' : 'bad'}`;
    $('queue-depth').textContent = String(health.queueDepth ?? 0);
    const rows = peers.peers.map((p) => {
      const tr = document.createElement('tr');
      for (const v of [short(p.id), p.transport, p.connected ? 'yes' : 'no', p.queued, p.sent, p.received]) {
        const td = document.createElement('td');
        td.textContent = String(v);
        tr.append(td);
      }
      tr.title = p.id;
      return tr;
    });
    if (rows.length) $('peers').replaceChildren(...rows);
  } catch (err) {
    $('health').textContent = 'unreachable';
    $('health').className = 'pill bad';
  }
}

function renderMessage(m) {
  const li = document.createElement('li');
  li.dataset.id = m.id;
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = `${new Date(m.time).toLocaleTimeString()} · ${m.topic} · from ${short(m.from)}`;
  meta.title = `from ${m.from}`;
  const body = document.createElement('pre');
  body.className = 'data';
  body.textContent = typeof m.data === 'string' ? m.data : JSON.stringify(m.data);
  li.append(meta, body);
  const list = $('messages');
  list.prepend(li);
  while (list.children.length > MAX_SHOWN) list.lastElementChild.remove();
}

function connectStream() {
  // Replay what the node holds, then follow live.
  const es = new EventSource('/msg?since=0');
  es.onopen = () => {
    $('stream-state').textContent = 'live';
    $('stream-state').className = 'pill ok';
  };
  es.onmessage = (ev) => renderMessage(JSON.parse(ev.data));
  es.onerror = () => {
    $('stream-state').textContent = 'reconnecting';
    $('stream-state').className = 'pill bad';
  };
}

$('send-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const to = $('send-to').value.trim();
  const topic = $('send-topic').value.trim();
  const raw = $('send-data').value;
  let body = raw;
  let type = 'text/plain';
  try {
    JSON.parse(raw);
    type = 'application/json';
  } catch {
    /* not JSON: send as text */
  }
  const qs = to ? `?to=${encodeURIComponent(to)}` : '';
  const out = $('send-result');
  try {
    const res = await fetch(`/msg/${encodeURIComponent(topic)}${qs}`, { method: 'POST', headers: { 'content-type': type }, body });
    const json = await res.json();
    out.textContent = res.ok ? `sent ${json.id} (${json.status})` : `refused: ${json.error.message}`;
    out.className = res.ok ? 'ok' : 'bad';
  } catch (err) {
    out.textContent = `failed: ${err.message}`;
  }
});

loadCard().catch((err) => ($('node-id').textContent = err.message));
refresh();
setInterval(refresh, 2000);
connectStream();

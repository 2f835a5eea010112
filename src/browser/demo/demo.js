// The browser demo page (docs/browser.md): this tab becomes a pushmesh node
// linked to the relay that served the page. Plain DOM, no HTML strings
// (the page runs under Trusted Types).
import { connect } from './pushmesh-browser.js';

const $ = (id) => document.getElementById(id);

function problem(text) {
  const p = $('problem');
  p.textContent = text;
  p.hidden = text === '';
}

function row(body, cells, prepend) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c.text;
    if (c.className) td.className = c.className;
    tr.append(td);
  }
  if (prepend) body.prepend(tr);
  else body.append(tr);
  return tr;
}

function linkState(state, detail) {
  const pill = $('link-state');
  pill.textContent = detail ? `${state}: ${detail}` : state;
  pill.className = `pill ${state}`;
}

function show(data) {
  if (data instanceof Uint8Array) return `(${data.length} bytes)`;
  return typeof data === 'string' ? data : JSON.stringify(data);
}

const statusRows = new Map();

async function main() {
  const relayUrl = `wss://${location.host}/ws`;
  // Do not wait for the relay: the page shows the tab's node at once, what it sends waits (in IndexedDB) until a link is up.
  const node = await connect(relayUrl, {
    timeoutMs: 0,
    onLink: (e) => {
      linkState(e.state, e.reason ?? '');
      if (e.state === 'refused') problem(`the relay refused this tab (ERR_PEER_REFUSED): ${e.reason}: ${e.detail ?? ''}`);
      if (e.state === 'up') problem('');
    },
  });
  // Test hook: the end-to-end test reads the node through it.
  globalThis.pushmeshDemo = node;
  $('node-id').textContent = node.id;
  $('relay-id').textContent = node.relayId ?? '…';
  $('card-json').textContent = JSON.stringify(node.card);
  $('send-button').disabled = false;
  node.on('link', (e) => {
    if (e.state === 'up') $('relay-id').textContent = e.relay;
  });
  node.on('message', (m) => {
    row($('messages-body'), [
      { text: new Date(m.time).toLocaleTimeString() },
      { text: m.from, className: 'id' },
      { text: m.topic },
      { text: show(m.data) },
    ], true);
  });
  node.on('status', (s) => {
    const tr = statusRows.get(s.id);
    if (!tr) return;
    tr.children[2].textContent = s.state;
    tr.children[3].textContent = s.reason ?? '';
  });
  $('send-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    problem('');
    const to = $('send-to').value.trim();
    const cardText = $('send-card').value.trim();
    try {
      if (cardText !== '') await node.addCard(JSON.parse(cardText));
      const { id } = await node.send(to, $('send-topic').value, $('send-text').value, { text: true, receipt: true });
      statusRows.set(id, row($('statuses-body'), [{ text: id, className: 'id' }, { text: to, className: 'id' }, { text: 'queued' }, { text: '' }], true));
      $('send-result').textContent = `queued ${id}`;
    } catch (err) {
      $('send-result').textContent = '';
      problem(err instanceof Error ? err.message : String(err));
    }
  });
}

main().catch((err) => {
  linkState('refused', '');
  problem(err instanceof Error ? err.message : String(err));
});

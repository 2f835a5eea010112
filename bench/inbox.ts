/**
 * The receive path (issue 11): one 1 KiB sealed message arriving on a
 * link, through the node's Inbox (VAPID admission from the token cache,
 * sender MAC, access lists, per-sender replay window, decryption, JSON,
 * hand-off), against
 * - what the link receiver did before the inbox (VAPID, sender MAC,
 *   decryption, JSON, the old global duplicate LRU), and
 * - the raw node:crypto bound of opening the body (ECDH, five HMACs,
 *   AES-128-GCM), in the same group.
 * Every message is distinct (a fresh id: the replay window is exercised,
 * not its duplicate shortcut); a pool of sealed messages is made first.
 */
import { createECDH } from 'node:crypto';
import { pino } from 'pino';
import { Inbox } from '../src/inbox/inbox.js';
import { ReplayGuard } from '../src/inbox/replay-guard.js';
import { nodeIdFromPublicKey } from '../src/identity/node-id.js';
import { decodePlaintext, linkAudience, newMessageId, sealMessage, SenderMacKeys, type Message, type WebpushMessage } from '../src/message/index.js';
import { toBase64Url } from '../src/util/base64url.js';
import { VapidSigner, VapidVerifier, WebPushDecrypter } from '../src/webpush/index.js';
import { rawOpen } from './crypto.js';
import { DedupeCache } from './dedupe-baseline.js';
import { measureGroup } from './harness.js';
import { compared, row } from './ratio.js';
import type { BenchContext, BenchModule, BenchSection } from './types.js';

const POOL = 3000;

function key(): { privateScalar: Buffer; publicKey: Buffer; privateKey: ReturnType<typeof createECDH> } {
  const e = createECDH('prime256v1');
  e.generateKeys();
  return { privateScalar: e.getPrivateKey(), publicKey: e.getPublicKey(), privateKey: e };
}

async function run(ctx: BenchContext): Promise<BenchSection[]> {
  const { createPrivateKey } = await import('node:crypto');
  const mk = () => {
    const k = key();
    const jwk = { kty: 'EC', crv: 'P-256', x: toBase64Url(k.publicKey.subarray(1, 33)), y: toBase64Url(k.publicKey.subarray(33)), d: toBase64Url(k.privateScalar) };
    return { ...k, id: nodeIdFromPublicKey(k.publicKey), keyObject: createPrivateKey({ key: jwk, format: 'jwk' }), auth: Buffer.alloc(16, 7) };
  };
  const alice = mk();
  const bob = mk();
  const card = { id: bob.id, endpoint: 'https://127.0.0.1:9/push/x', keys: { p256dh: toBase64Url(bob.publicKey), auth: toBase64Url(bob.auth) } };
  const signer = new VapidSigner({ privateKey: alice.keyObject, publicKey: alice.publicKey });
  const aliceMac = new SenderMacKeys(alice.privateScalar, alice.publicKey);
  const text = 'x'.repeat(1024);
  ctx.log(`  sealing ${POOL} messages`);
  const pool: WebpushMessage[] = [];
  for (let i = 0; i < POOL; i++) {
    pool.push(
      await sealMessage({ id: newMessageId(), from: alice.id, to: bob.id, topic: 'bench', time: Date.now(), ttl: 600, urgency: 'normal', meta: {}, data: { kind: 'text', value: text } }, card, signer, { senderMac: aliceMac }),
    );
  }

  const verifier = new VapidVerifier();
  const decrypter = new WebPushDecrypter({ privateScalar: bob.privateScalar, publicKey: bob.publicKey, auth: bob.auth });
  const bobMac = new SenderMacKeys(bob.privateScalar, bob.publicKey);
  const audiences = [linkAudience(bob.id)];
  let delivered = 0;
  const deliver = (_m: Message): void => {
    delivered++;
  };
  // A new guard each time the pool comes round again (its messages are new to it); at default bounds.
  let guard = new ReplayGuard();
  let i = 0;
  const inbox = new Inbox({ self: bob.id, decrypter, verifier, senderMac: bobMac, replay: { check: (s, id, t) => guard.check(s, id, t) }, deliver, logger: pino({ level: 'silent' }) });
  const viaInbox = async (): Promise<void> => {
    if (i === POOL) ((i = 0), (guard = new ReplayGuard()));
    const r = await inbox.accept({ wire: pool[i++]!, via: 'link', audiences });
    if (r.kind !== 'delivered') throw new Error(`not delivered: ${r.kind}`);
  };

  let dedupe = new DedupeCache();
  let j = 0;
  const before = async (): Promise<void> => {
    if (j === POOL) ((j = 0), (dedupe = new DedupeCache()));
    const wire = pool[j++]!;
    const { publicKey } = await verifier.verify(wire.authorization, audiences);
    if (nodeIdFromPublicKey(publicKey) !== wire.from || !bobMac.verify(wire, publicKey)) throw new Error('bad');
    const content = decodePlaintext(decrypter.decrypt(wire.body), { id: wire.id, topic: '', time: wire.time });
    if (!dedupe.check(`${wire.from}/${content.id}`)) deliver({} as Message);
  };

  const raw = createECDH('prime256v1');
  raw.setPrivateKey(bob.privateScalar);
  let k = 0;
  const rawBound = (): unknown => rawOpen(Buffer.from(pool[k++ % POOL]!.body), raw, bob);

  const [inb, old, bound] = await measureGroup(
    [
      { name: 'Inbox.accept: 1 KiB sealed message from a link (VAPID cached, MAC, access, replay window, decrypt, JSON, hand-off)', fn: viaInbox, async: true },
      { name: 'before the inbox: VAPID cached, MAC, decrypt, JSON, global duplicate LRU', fn: before, async: true },
      { name: 'raw node:crypto bound: open the body (ECDH, 5 HMAC, AES-128-GCM)', fn: rawBound },
    ],
    { seconds: ctx.seconds },
  );
  if (delivered === 0) throw new Error('nothing delivered');
  return [
    {
      title: 'Receive path: one sealed message through the inbox',
      rows: [row(bound!), compared(inb!, old!, 0.9), compared(inb!, bound!), compared(old!, bound!)],
      notes: [
        'Target: the inbox within 10 % of the receive work it replaced (≥ 0.9×). Both run from the same pool of distinct messages, in interleaved slices; the raw bound is the crypto alone.',
      ],
    },
  ];
}

export const inboxBench: BenchModule = { name: 'inbox', run };

import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { createRequire } from 'node:module';
import { encryptWebPush, VapidSigner, VapidVerifier, WebPushDecrypter } from '../src/webpush/index.js';
import { measureGroup, type BenchCase } from './harness.js';
import { compared, row, type BenchRow } from './ratio.js';
import type { BenchContext, BenchModule, BenchSection } from './types.js';

const webpush = createRequire(import.meta.url)('web-push') as typeof import('web-push');

const PAYLOAD = randomBytes(1024);
const KEY_INFO_LABEL = Buffer.from('WebPush: info\0', 'latin1');
const ONE = Buffer.of(1);
const TWO = Buffer.of(2);
const CEK_INFO = Buffer.from('Content-Encoding: aes128gcm\0\x01', 'latin1');
const NONCE_INFO = Buffer.from('Content-Encoding: nonce\0\x01', 'latin1');
const AUDIENCE = 'https://relay.example.net:15443';

function p256Pair(): { privateKey: ReturnType<typeof createPrivateKey>; publicKey: Buffer; privateScalar: Buffer } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    privateKey,
    publicKey: Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]),
    privateScalar: Buffer.from(jwk.d!, 'base64url'),
  };
}

const receiver = { ...p256Pair(), auth: randomBytes(16) };
const recipient = { p256dh: receiver.publicKey, auth: receiver.auth };

const hmac = (key: Uint8Array, ...parts: Uint8Array[]): Buffer => {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
};

// ---- (a) the raw node:crypto work of one message, nothing else --------------
const rawEphemeral = createECDH('prime256v1');
/** The raw node:crypto work of sealing one 1 KiB message (ECDH key pair + derive, five HMACs, one AES-128-GCM): the encrypt bound. */
export function rawEncrypt(): unknown {
  const asPublic = rawEphemeral.generateKeys();
  const secret = rawEphemeral.computeSecret(receiver.publicKey);
  const salt = randomBytes(16);
  const ikm = hmac(hmac(receiver.auth, secret), KEY_INFO_LABEL, receiver.publicKey, asPublic, ONE);
  const prk = hmac(salt, ikm);
  const cipher = createCipheriv('aes-128-gcm', hmac(prk, CEK_INFO).subarray(0, 16), hmac(prk, NONCE_INFO).subarray(0, 12));
  const ct = cipher.update(PAYLOAD);
  const delimiter = cipher.update(TWO);
  cipher.final();
  return [salt, asPublic, ct, delimiter, cipher.getAuthTag()];
}

// ---- (b) the raw node:crypto work of opening one message ---------------------
const body = encryptWebPush(PAYLOAD, recipient);
const rawReceiver = createECDH('prime256v1');
rawReceiver.setPrivateKey(receiver.privateScalar);
/** `rawOpen` of one 1 KiB message: the decrypt bound. */
export function rawDecrypt(): unknown {
  return rawOpen(body, rawReceiver, receiver);
}

/** The raw node:crypto work of opening one RFC 8291 body (ECDH, five HMACs, one AES-128-GCM), nothing else: the bound other benches compare to. */
export function rawOpen(body: Buffer, ecdh: ReturnType<typeof createECDH>, receiver: { auth: Buffer; publicKey: Buffer }): Buffer {
  const salt = body.subarray(0, 16);
  const keyid = body.subarray(21, 86);
  const secret = ecdh.computeSecret(keyid);
  const ikm = hmac(hmac(receiver.auth, secret), KEY_INFO_LABEL, receiver.publicKey, keyid, ONE);
  const prk = hmac(salt, ikm);
  const decipher = createDecipheriv('aes-128-gcm', hmac(prk, CEK_INFO).subarray(0, 16), hmac(prk, NONCE_INFO).subarray(0, 12));
  decipher.setAuthTag(body.subarray(body.length - 16));
  const plain = decipher.update(body.subarray(86, body.length - 16));
  decipher.final();
  return plain;
}
const decrypter = new WebPushDecrypter(receiver);

// ---- (c) a sender: encrypt + VAPID per message ---------------------------------
const sender = p256Pair();
const signer = new VapidSigner({ privateKey: sender.privateKey, publicKey: sender.publicKey });
const vapidPublic = sender.publicKey.toString('base64url');
const vapidPrivate = sender.privateScalar.toString('base64url');
const p256dhText = receiver.publicKey.toString('base64url');
const authText = receiver.auth.toString('base64url');
async function ourSender(): Promise<unknown> {
  const authorization = await signer.authorization(AUDIENCE);
  return [authorization, encryptWebPush(PAYLOAD, recipient)];
}
function naiveSender(): unknown {
  const { cipherText } = webpush.encrypt(p256dhText, authText, PAYLOAD, 'aes128gcm');
  const headers = webpush.getVapidHeaders(AUDIENCE, 'mailto:admin@pushmesh.invalid', vapidPublic, vapidPrivate, 'aes128gcm');
  return [cipherText, headers];
}

// ---- (e) primitive choices ------------------------------------------------------
const recipientKeyObject = createPublicKey({
  format: 'jwk',
  key: { kty: 'EC', crv: 'P-256', x: receiver.publicKey.subarray(1, 33).toString('base64url'), y: receiver.publicKey.subarray(33).toString('base64url') },
});
const fixedSalt = randomBytes(16);
const fixedSecret = randomBytes(32);
const keyInfo = Buffer.concat([KEY_INFO_LABEL, receiver.publicKey, sender.publicKey]);

async function choices(ctx: BenchContext): Promise<BenchSection> {
  const s = ctx.seconds / 2;
  const [fresh, reused, keyPair] = await measureGroup(
    [
      { name: 'keygen: createECDH + generateKeys', fn: () => createECDH('prime256v1').generateKeys() },
      { name: 'keygen: reused ECDH, generateKeys', fn: () => rawEphemeral.generateKeys() },
      { name: 'keygen: generateKeyPairSync', fn: () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) },
    ],
    { seconds: s, warmupMs: 150 },
  );
  const [ecdhReused, ecdhFresh, keyObjects] = await measureGroup(
    [
      { name: 'keygen + derive: reused ECDH (generateKeys + computeSecret)', fn: () => (rawEphemeral.generateKeys(), rawEphemeral.computeSecret(receiver.publicKey)) },
      {
        name: 'keygen + derive: new ECDH per message',
        fn: () => {
          const ecdh = createECDH('prime256v1');
          ecdh.generateKeys();
          return ecdh.computeSecret(receiver.publicKey);
        },
      },
      {
        name: 'keygen + derive: generateKeyPairSync + diffieHellman (cached peer KeyObject)',
        fn: () => diffieHellman({ privateKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, publicKey: recipientKeyObject }),
      },
    ],
    { seconds: s, warmupMs: 150 },
  );
  const [hmacs, hkdfs] = await measureGroup(
    [
      {
        name: 'key schedule: 5 × createHmac',
        fn: () => {
          const ikm = hmac(hmac(receiver.auth, fixedSecret), keyInfo, ONE);
          const prk = hmac(fixedSalt, ikm);
          return [hmac(prk, CEK_INFO), hmac(prk, NONCE_INFO)];
        },
      },
      {
        name: 'key schedule: 3 × hkdfSync',
        fn: () => {
          const ikm = Buffer.from(hkdfSync('sha256', fixedSecret, receiver.auth, keyInfo, 32));
          return [hkdfSync('sha256', ikm, fixedSalt, CEK_INFO.subarray(0, -1), 16), hkdfSync('sha256', ikm, fixedSalt, NONCE_INFO.subarray(0, -1), 12)];
        },
      },
    ],
    { seconds: s, warmupMs: 150 },
  );
  return {
    title: 'Crypto: primitive choices (node:crypto)',
    rows: [row(fresh!), compared(reused!, fresh!), compared(keyPair!, fresh!), row(ecdhFresh!), compared(ecdhReused!, ecdhFresh!), compared(keyObjects!, ecdhFresh!), row(hkdfs!), compared(hmacs!, hkdfs!)],
    notes: ['Chosen: one reused ECDH object (generateKeys() gives a fresh key pair each call), ECDH.computeSecret, HKDF as plain HMAC calls.'],
  };
}

async function messages(ctx: BenchContext): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const pair = async (ours: BenchCase, base: BenchCase, target?: number): Promise<void> => {
    ctx.log(`  ${ours.name} vs ${base.name}`);
    const [o, b] = await measureGroup([ours, base], { seconds: ctx.seconds });
    rows.push(row(b!), compared(o!, b!, target));
  };
  await pair({ name: '(a) encryptWebPush, 1 KiB', fn: () => encryptWebPush(PAYLOAD, recipient) }, { name: '(a) raw node:crypto bound: encrypt', fn: rawEncrypt }, 0.9);
  await pair({ name: '(b) WebPushDecrypter.decrypt, 1 KiB', fn: () => decrypter.decrypt(body) }, { name: '(b) raw node:crypto bound: decrypt', fn: rawDecrypt }, 0.9);
  await pair(
    { name: '(c) our sender: encryptWebPush + cached VapidSigner', fn: ourSender, async: true },
    { name: '(c) naive sender: web-push encrypt + getVapidHeaders', fn: naiveSender },
    3,
  );

  const verifyHeader = await signer.authorization(AUDIENCE);
  const cached = new VapidVerifier();
  const uncached = new VapidVerifier({ cacheSize: 0 });
  await pair(
    { name: '(d) VapidVerifier.verify, cached', fn: () => cached.verify(verifyHeader, AUDIENCE), async: true },
    { name: '(d) VapidVerifier.verify, uncached (cacheSize 0)', fn: () => uncached.verify(verifyHeader, AUDIENCE), async: true },
  );
  return {
    title: 'Crypto: one Web Push message (1 KiB payload)',
    rows,
    notes: [
      'Raw bounds use the same fastest primitives as ours (reused ECDH object, computeSecret, 5 HMACs, one AES-128-GCM call) and skip validation and body assembly.',
    ],
  };
}

export const cryptoBench: BenchModule = {
  name: 'crypto',
  async run(ctx) {
    return [await messages(ctx), await choices(ctx)];
  },
};

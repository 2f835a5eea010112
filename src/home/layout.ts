import { join } from 'node:path';

/** Where each piece of a node's state lives inside its home folder. */
export interface HomeLayout {
  /** The home folder itself (absolute). */
  readonly root: string;
  /** Private key, PKCS#8 PEM, mode 0600. */
  readonly keyFile: string;
  /** Web Push auth secret, base64url of 16 bytes, mode 0600. */
  readonly authFile: string;
  /** Self-signed X.509 certificate for the key (CN = node ID), PEM. */
  readonly certFile: string;
  /** Known peers' cards, one `<node-id>.json` each. */
  readonly peersDir: string;
}

export const KEY_FILE = 'key.pem';
export const AUTH_FILE = 'auth';
export const CERT_FILE = 'cert.pem';
export const PEERS_DIR = 'peers';

export function homeLayout(root: string): HomeLayout {
  return {
    root,
    keyFile: join(root, KEY_FILE),
    authFile: join(root, AUTH_FILE),
    certFile: join(root, CERT_FILE),
    peersDir: join(root, PEERS_DIR),
  };
}

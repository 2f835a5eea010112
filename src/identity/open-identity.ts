import { isPushmeshError } from '../errors/index.js';
import { createIdentity } from './create-identity.js';
import { loadIdentity, type LoadIdentityOptions } from './load-identity.js';
import type { Identity } from './types.js';

export interface OpenedIdentity {
  readonly identity: Identity;
  /** True when `home` had no identity and a new one was generated. */
  readonly created: boolean;
}

/**
 * Load the identity in `home`, or generate one when there is none ("generated
 * on first start"). Never replaces an existing identity, valid or not: a
 * broken one is reported as loadIdentity reports it.
 */
export async function openIdentity(home: string, options: LoadIdentityOptions = {}): Promise<OpenedIdentity> {
  try {
    return { identity: await loadIdentity(home, options), created: false };
  } catch (err) {
    if (!isPushmeshError(err) || err.code !== 'ERR_IDENTITY_MISSING') throw err;
  }
  try {
    const identity = await createIdentity(home, { now: options.now });
    // A configured certificate file is used (and checked) from the first start on, as on every later one.
    return { identity: options.certFile ? await loadIdentity(home, options) : identity, created: true };
  } catch (err) {
    // Another process created it between our load and our create: use theirs.
    if (isPushmeshError(err) && err.code === 'ERR_IDENTITY_EXISTS') {
      return { identity: await loadIdentity(home, options), created: false };
    }
    throw err;
  }
}

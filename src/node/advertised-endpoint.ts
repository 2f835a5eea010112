import type { HostPort } from '../config/index.js';

/**
 * The HTTPS endpoint a node's card names: the configured `advertise`, or,
 * when nothing is advertised or the HTTPS port is 0 (tests), the address
 * the HTTPS server actually got (`learn`). None while HTTPS is off and
 * nothing is advertised.
 */
export class AdvertisedEndpoint {
  #url: string;
  readonly #https: HostPort | null;

  constructor(advertise: string, https: HostPort | null) {
    this.#url = advertise;
    this.#https = https;
  }

  get url(): string {
    return this.#url;
  }

  /** The HTTPS server listens at `at`. */
  learn(at: HostPort): void {
    const https = this.#https;
    if (!https || (this.#url && https.port !== 0)) return;
    const host = https.host === '0.0.0.0' || https.host === '::' ? (this.#url ? new URL(this.#url).hostname : '127.0.0.1') : https.host;
    this.#url = `https://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${at.port}`;
  }
}

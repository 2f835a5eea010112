/**
 * Token bucket: `ratePerSecond` tokens a second, at most `burst` saved up.
 * take() spends one token if there is one.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(ratePerSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.#rate = ratePerSecond / 1000;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  take(): boolean {
    if (this.#tokens < 1) {
      const t = this.#now();
      this.#tokens = Math.min(this.#burst, this.#tokens + (t - this.#last) * this.#rate);
      this.#last = t;
      if (this.#tokens < 1) return false;
    }
    this.#tokens -= 1;
    return true;
  }
}

/** Counts events in the current one-second window; hit() is true once the count passes `limit`. */
export class WindowCounter {
  readonly #limit: number;
  readonly #now: () => number;
  #start = 0;
  #count = 0;

  constructor(limit: number, now: () => number = () => performance.now()) {
    this.#limit = limit;
    this.#now = now;
  }

  hit(): boolean {
    const t = this.#now();
    if (t - this.#start >= 1000) {
      this.#start = t;
      this.#count = 0;
    }
    return ++this.#count > this.#limit;
  }
}

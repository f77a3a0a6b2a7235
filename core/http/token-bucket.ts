import { sleep } from '../retry.js';

/**
 * Client-side rate limit of one peer: `ratePerSec` requests per second on average, bursts of up
 * to `burst`. Shared by every request of one HttpClient so parallel fetch workers together stay
 * within what the peer allows (public logs rate-limit per client address).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number = Math.max(1, Math.ceil(ratePerSec)),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }
  /** Resolves once one token is available (and takes it); rejects with the signal's reason on abort. */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const t = this.now();
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSec);
      this.last = t;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000), signal);
    }
  }
}

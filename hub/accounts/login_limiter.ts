/**
 * Slows password guessing: after 5 failed logins for one username, or 20 from one address, within
 * 15 minutes, further attempts are refused (429, with how long to wait) before any password is
 * checked. A successful login clears its username's count. Pure and in memory: each hub counts
 * its own attempts, and a restart forgets them.
 *
 * @module
 */

/** The limits. */
export interface LoginLimits {
  /** Failures allowed per username in the window. @default 5 */
  perUser?: number;
  /** Failures allowed per client address in the window. @default 20 */
  perAddress?: number;
  /** @default 15 minutes */
  windowMs?: number;
}

/** Whether a login may be tried now; when not, in how many seconds. */
export type LoginVerdict = { ok: true } | { ok: false; retryAfterS: number };

/** Keys kept before a sweep drops the stale ones. */
const SWEEP_AT = 10_000;

/** Failed logins by username and by address, over a sliding window. */
export class LoginLimiter {
  #perUser: number;
  #perAddress: number;
  #windowMs: number;
  #failures = new Map<string, number[]>();

  constructor(limits: LoginLimits = {}) {
    this.#perUser = limits.perUser ?? 5;
    this.#perAddress = limits.perAddress ?? 20;
    this.#windowMs = limits.windowMs ?? 15 * 60_000;
  }

  /** Failures of `key` still in the window at `now` (the list is trimmed in place). */
  #recent(key: string, now: number): number[] {
    const times = this.#failures.get(key);
    if (!times) return [];
    while (times.length > 0 && times[0]! <= now - this.#windowMs) times.shift();
    if (times.length === 0) this.#failures.delete(key);
    return times;
  }

  /** Whether `username` may try to log in from `address` at `now`. */
  check(username: string, address: string, now: number): LoginVerdict {
    let until = 0;
    for (
      const [key, limit] of [[`u:${username}`, this.#perUser], [
        `a:${address}`,
        this.#perAddress,
      ]] as const
    ) {
      const times = this.#recent(key, now);
      if (times.length >= limit) {
        until = Math.max(until, times[times.length - limit]! + this.#windowMs);
      }
    }
    if (until === 0) return { ok: true };
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((until - now) / 1000)) };
  }

  /** Counts a failed login. */
  fail(username: string, address: string, now: number): void {
    if (this.#failures.size >= SWEEP_AT) {
      for (const key of [...this.#failures.keys()]) this.#recent(key, now);
    }
    for (const key of [`u:${username}`, `a:${address}`]) {
      const times = this.#failures.get(key);
      if (times) times.push(now);
      else this.#failures.set(key, [now]);
    }
  }

  /** Clears a username's failures after a successful login. */
  succeed(username: string): void {
    this.#failures.delete(`u:${username}`);
  }
}

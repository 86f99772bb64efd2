/**
 * Time for the simulator, behind an interface so that the scheduler never calls timers directly.
 *
 * @module
 */

/** Wall time and waiting. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch, with sub-millisecond fractions. */
  now(): number;
  /** Milliseconds from an arbitrary origin that never goes backwards. */
  monotonic(): number;
  /** Resolves after `ms` (at once under 1 ms); rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  monotonic: () => performance.now(),
  sleep(ms, signal) {
    if (signal?.aborted) return Promise.reject(signal.reason);
    // setTimeout cannot wait less than about a millisecond: shorter waits are skipped. Callers
    // that pace many small steps (the decode loop) schedule against a cumulative deadline.
    if (ms < 1) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(id);
        reject(signal!.reason);
      };
      const id = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};

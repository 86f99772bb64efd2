/**
 * A closed-loop load generator: `concurrency` workers each send requests back to back (zero think
 * time) until `count` requests are done, recording each latency. Reusable by every benchmark.
 *
 * @module
 */

/** Latency percentiles and throughput of a run. */
export interface LoadResult {
  concurrency: number;
  requests: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Runs `send` with `concurrency` workers until `count` requests have finished. */
export async function runLoad(
  send: () => Promise<void>,
  options: { concurrency: number; count: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let started = 0;
  let failures = 0;
  const begin = performance.now();
  async function worker() {
    while (started < options.count) {
      started++;
      const t0 = performance.now();
      try {
        await send();
        latencies.push(performance.now() - t0);
      } catch {
        failures++;
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - begin) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency: options.concurrency,
    requests: latencies.length,
    failures,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    requestsPerSecond: latencies.length / seconds,
  };
}

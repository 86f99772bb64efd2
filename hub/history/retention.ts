/**
 * Retention: raw history is rolled up into hourly rows (`request_rollups`, `metric_rollups`) and
 * then pruned; the rollups are pruned in turn, much later.
 *
 * One run ({@link runRetention}) has two steps. The rollup step runs in one transaction that first
 * takes a transaction-scoped advisory lock, so that of several hubs sharing a PostgreSQL one rolls
 * up at a time (the others skip their run); the lock goes with the commit. It recomputes every
 * hour from two hours before the newest one already rolled up (buffered writes arrive late after
 * an outage) up to and including the hour in progress, one statement per table and hour, so that
 * hourly charts lag the raw rows by one run (5 minutes by default), not by an hour. The prune step
 * runs after it, outside the transaction, as many short `DELETE`s of at most `batch` rows, so that
 * no statement holds locks for long. Raw rows are only pruned once their hour has been rolled up for the last time.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { Db, Queryable } from "./db.ts";
import { GPU_METRICS, HOST_GPU, HOST_METRICS, type MetricColumn } from "./metric_columns.ts";

const HOUR_MS = 3_600_000;
/** How far back each run recomputes hours already rolled up, for rows written late. */
const LATE_ROWS_MS = 2 * HOUR_MS;
/** The key of the advisory lock the rollup step holds (any fixed number; "corral" in ASCII). */
export const RETENTION_LOCK_KEY = 0x636f7272616c;

/** How long history is kept. */
export interface RetentionPolicy {
  /** Raw rows (requests, samples, events). Hours still in the late-row window are always kept. */
  rawRetentionMs: number;
  /** Hourly rollups, and `servers` rows not seen for as long. */
  rollupRetentionMs: number;
}

/** What one retention run did. */
export interface RetentionResult {
  /** The hours rolled up: [from, to). Equal when there was nothing to roll up. */
  from: Date;
  to: Date;
  hours: number;
  /** Rows deleted per table. */
  deleted: Record<string, number>;
}

function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

function ceilHour(ms: number): number {
  return Math.ceil(ms / HOUR_MS) * HOUR_MS;
}

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The rows of the hour that starts at `$1`. */
function inHour(column: string): string {
  return `${column} >= $1::timestamptz AND ${column} < $1::timestamptz + interval '1 hour'`;
}

const REQUEST_ROLLUP = `
INSERT INTO request_rollups (hour, model, server_id, api_key, requests, errors, prompt_tokens,
  completion_tokens, duration_sum_ms, duration_p50_ms, duration_p95_ms, duration_max_ms,
  ttfb_count, ttfb_sum_ms, ttfb_p50_ms, ttfb_p95_ms)
SELECT $1::timestamptz, coalesce(model, ''), coalesce(server_id, ''), coalesce(api_key, ''),
  count(*), count(*) FILTER (WHERE status >= 400 OR error IS NOT NULL),
  coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0),
  coalesce(sum(duration_ms::double precision), 0),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms),
  percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms),
  max(duration_ms),
  count(ttfb_ms), coalesce(sum(ttfb_ms::double precision), 0),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ttfb_ms),
  percentile_cont(0.95) WITHIN GROUP (ORDER BY ttfb_ms)
FROM request_logs
WHERE ${inHour("time")}
GROUP BY 2, 3, 4
ON CONFLICT (hour, model, server_id, api_key) DO UPDATE SET
  requests = excluded.requests, errors = excluded.errors,
  prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
  duration_sum_ms = excluded.duration_sum_ms, duration_p50_ms = excluded.duration_p50_ms,
  duration_p95_ms = excluded.duration_p95_ms, duration_max_ms = excluded.duration_max_ms,
  ttfb_count = excluded.ttfb_count, ttfb_sum_ms = excluded.ttfb_sum_ms,
  ttfb_p50_ms = excluded.ttfb_p50_ms, ttfb_p95_ms = excluded.ttfb_p95_ms`;

/**
 * One hour of a sample table's metrics: each row is unpivoted into (metric, value) pairs by a
 * LATERAL VALUES list built from `metric_columns.ts`, so a metric added there is rolled up too.
 */
function metricRollup(table: string, gpu: string, metrics: readonly MetricColumn[]): string {
  const values = metrics.map((m) => `(${sqlString(m.name)}, (${m.sql})::double precision)`);
  return `
INSERT INTO metric_rollups (hour, server_id, gpu, metric, min, avg, max, samples)
SELECT $1::timestamptz, t.server_id, ${gpu}, m.metric, min(m.value), avg(m.value), max(m.value),
  count(*)
FROM ${table} AS t CROSS JOIN LATERAL (VALUES ${values.join(", ")}) AS m (metric, value)
WHERE ${inHour("t.time")} AND m.value IS NOT NULL
GROUP BY 2, 3, 4
ON CONFLICT (hour, server_id, gpu, metric) DO UPDATE SET
  min = excluded.min, avg = excluded.avg, max = excluded.max, samples = excluded.samples`;
}

const ROLLUPS: readonly string[] = [
  REQUEST_ROLLUP,
  metricRollup("system_metrics", `${HOST_GPU}`, HOST_METRICS),
  metricRollup("gpu_metrics", "t.gpu", GPU_METRICS),
];

/** The first rolled-up raw row in [$1, $2): one index probe per table, to skip empty hours. */
const NEXT_ROW = `SELECT least(${
  ["request_logs", "system_metrics", "gpu_metrics"].map((table) =>
    `(SELECT min(time) FROM ${table} WHERE time >= $1::timestamptz AND time < $2::timestamptz)`
  ).join(", ")
}) AS next`;

/**
 * Recomputes the rollups of each whole hour in [fromHour, toHour) that has raw rows, one
 * statement per table and hour; hours with none are skipped. Idempotent: a group's row is
 * replaced by its recomputed value, and a group with no raw rows left (pruned) keeps the row it
 * has. Returns the number of hours recomputed.
 */
export async function rollUp(
  db: Queryable,
  fromHour: Date,
  toHour: Date,
): Promise<{ hours: number }> {
  const from = ceilHour(fromHour.getTime());
  const to = floorHour(toHour.getTime());
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    throw new RangeError(`Cannot roll up from ${fromHour} to ${toHour}: not valid dates`);
  }
  const end = new Date(to).toISOString();
  let hours = 0;
  let hour = from;
  while (hour < to) {
    const [row] = await db.query<{ next: Date | null }>(NEXT_ROW, [
      new Date(hour).toISOString(),
      end,
    ]);
    if (!row?.next) break;
    hour = floorHour(row.next.getTime());
    const at = new Date(hour).toISOString();
    for (const statement of ROLLUPS) await db.query(statement, [at]);
    hours++;
    hour += HOUR_MS;
  }
  return { hours };
}

/** A table pruned, the column its age is read from, and how a row is named in a batch. */
const PRUNED: readonly { table: string; time: string; key: string; rollup: boolean }[] = [
  { table: "request_logs", time: "time", key: "ctid", rollup: false },
  { table: "system_metrics", time: "time", key: "ctid", rollup: false },
  { table: "gpu_metrics", time: "time", key: "ctid", rollup: false },
  { table: "server_snapshots", time: "time", key: "ctid", rollup: false },
  { table: "model_events", time: "time", key: "ctid", rollup: false },
  { table: "server_events", time: "time", key: "ctid", rollup: false },
  { table: "request_rollups", time: "hour", key: "ctid", rollup: true },
  { table: "metric_rollups", time: "hour", key: "ctid", rollup: true },
  // Updated in place by each sample: named by id, and its age checked again when deleted, so a
  // host seen again meanwhile stays.
  { table: "servers", time: "last_seen", key: "id", rollup: true },
];

/** What {@link prune} deletes. */
export interface PruneOptions {
  /** Raw rows older than this go. */
  before: Date;
  /** Rollups (and `servers` rows last seen) older than this go. */
  rollupsBefore: Date;
  /** Rows per `DELETE`. @default 5000 */
  batch?: number;
}

/**
 * Deletes raw rows older than `before` and rollups older than `rollupsBefore`, `batch` rows per
 * statement, yielding to the event loop between statements. Returns the rows deleted per table.
 */
export async function prune(db: Queryable, options: PruneOptions): Promise<Record<string, number>> {
  const { before, rollupsBefore, batch = 5000 } = options;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(
      `Cannot prune as 'batch' must be a positive integer: current value is ${batch}`,
    );
  }
  const deleted: Record<string, number> = {};
  for (const { table, time, key, rollup } of PRUNED) {
    const cutoff = (rollup ? rollupsBefore : before).toISOString();
    // `= ANY (ARRAY(...))` makes the delete a TID (or primary key) lookup of the batch found.
    const statement = `WITH gone AS (DELETE FROM ${table} WHERE ${key} = ANY (ARRAY(` +
      `SELECT ${key} FROM ${table} WHERE ${time} < $1::timestamptz LIMIT $2::integer)) ` +
      `AND ${time} < $1::timestamptz RETURNING 1) SELECT count(*)::integer AS n FROM gone`;
    let total = 0;
    for (;;) {
      const [row] = await db.query<{ n: number }>(statement, [cutoff, batch]);
      const n = row?.n ?? 0;
      total += n;
      if (n < batch) break;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    deleted[table] = total;
  }
  return deleted;
}

/** Where a run at `now` prunes: raw rows before `before`, rollups before `rollupsBefore`. */
export function retentionCutoffs(
  now: Date,
  policy: RetentionPolicy,
): { before: Date; rollupsBefore: Date } {
  for (const name of ["rawRetentionMs", "rollupRetentionMs"] as const) {
    const value = policy[name];
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(
        `Cannot run retention as '${name}' must be a positive number of ms: current value is ${value}`,
      );
    }
  }
  const t = now.getTime();
  // Whole hours only, and none that a later run may still recompute: an hour half pruned would
  // be rolled up again from what is left of it.
  const lastRecomputed = floorHour(t) - LATE_ROWS_MS - HOUR_MS;
  return {
    before: new Date(Math.min(floorHour(t - policy.rawRetentionMs), lastRecomputed)),
    rollupsBefore: new Date(t - policy.rollupRetentionMs),
  };
}

/** What the database holds, for {@link rollupWindow}. */
export interface RollupState {
  /** The newest hour in either rollup table. */
  latestRolledUp: Date | null;
  /** The oldest raw row that is rolled up (requests and samples). */
  oldestRaw: Date | null;
  /** Hours before this would be pruned at once, so are not rolled up. */
  rollupsBefore: Date;
}

/**
 * The hours a run at `now` rolls up: from two hours before the newest rolled-up hour (or from the
 * oldest raw row when nothing is rolled up yet) to the end of the hour in progress.
 */
export function rollupWindow(now: Date, state: RollupState): { from: Date; to: Date } {
  const to = floorHour(now.getTime()) + HOUR_MS;
  let from = to;
  if (state.latestRolledUp) from = state.latestRolledUp.getTime() - LATE_ROWS_MS;
  else if (state.oldestRaw) from = floorHour(state.oldestRaw.getTime());
  from = Math.min(Math.max(from, ceilHour(state.rollupsBefore.getTime())), to);
  return { from: new Date(from), to: new Date(to) };
}

const STATE = `SELECT
  greatest((SELECT max(hour) FROM request_rollups), (SELECT max(hour) FROM metric_rollups))
    AS latest,
  least((SELECT min(time) FROM request_logs), (SELECT min(time) FROM system_metrics),
    (SELECT min(time) FROM gpu_metrics)) AS oldest`;

/**
 * One retention run at `now`: rolls up (holding the advisory lock) and then prunes. Returns `null`,
 * having done nothing, when another hub holds the lock.
 */
export async function runRetention(
  db: Db,
  options: RetentionPolicy & { now: Date },
): Promise<RetentionResult | null> {
  const { now } = options;
  const { before, rollupsBefore } = retentionCutoffs(now, options);
  const rolled = await db.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_xact_lock($1::bigint) AS locked",
      [RETENTION_LOCK_KEY],
    );
    if (!lock?.locked) return null;
    const [state] = await tx.query<{ latest: Date | null; oldest: Date | null }>(STATE);
    const window = rollupWindow(now, {
      latestRolledUp: state?.latest ?? null,
      oldestRaw: state?.oldest ?? null,
      rollupsBefore,
    });
    const { hours } = await rollUp(tx, window.from, window.to);
    return { ...window, hours };
  });
  if (!rolled) return null;
  const deleted = await prune(db, { before, rollupsBefore });
  return { ...rolled, deleted };
}

/** How {@link startRetention} runs. */
export interface RetentionJobOptions extends RetentionPolicy {
  db: Db;
  /** Time between runs. @default 300_000 (5 minutes) */
  intervalMs?: number;
  /** Time from the start to the first run, so as not to add to the hub's start-up. @default 60_000 */
  delayMs?: number;
  log: Logger;
  /** @default Date.now */
  now?: () => number;
}

/** A scheduled retention job. */
export interface RetentionJob {
  /**
   * Runs now, or joins the run in progress. Resolves `null` when another hub ran it, when the run
   * failed (logged), or after {@link stop}; never rejects.
   */
  runNow(): Promise<RetentionResult | null>;
  /** Stops scheduling runs and waits for the one in progress. */
  stop(): Promise<void>;
}

function describe(result: RetentionResult): string {
  const pruned = Object.entries(result.deleted).filter(([, n]) => n > 0);
  const total = pruned.reduce((sum, [, n]) => sum + n, 0);
  const detail = pruned.map(([table, n]) => `${table} ${n}`).join(", ");
  return `history: rolled up ${result.hours} h from ${result.from.toISOString()}; ` +
    `deleted ${total} old rows${detail ? ` (${detail})` : ""}`;
}

/** Runs retention shortly after the start and then every `intervalMs`, one run at a time. */
export function startRetention(options: RetentionJobOptions): RetentionJob {
  const { db, log, intervalMs = 5 * 60_000, delayMs = 60_000, now = Date.now } = options;
  const policy: RetentionPolicy = {
    rawRetentionMs: options.rawRetentionMs,
    rollupRetentionMs: options.rollupRetentionMs,
  };
  retentionCutoffs(new Date(now()), policy); // a bad policy fails at start, not at every run
  if (!(intervalMs > 0)) {
    throw new RangeError(
      `Cannot start retention as 'intervalMs' must be positive: current value is ${intervalMs}`,
    );
  }
  let running: Promise<RetentionResult | null> | null = null;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const runOnce = async (): Promise<RetentionResult | null> => {
    try {
      const result = await runRetention(db, { ...policy, now: new Date(now()) });
      if (result) log.info(describe(result));
      return result;
    } catch (error) {
      log.error(`history: retention run failed: ${(error as Error)?.message ?? error}`);
      return null;
    }
  };
  const runNow = (): Promise<RetentionResult | null> => {
    if (stopped) return Promise.resolve(null);
    running ??= runOnce().finally(() => running = null);
    return running;
  };
  const schedule = (ms: number) => {
    timer = setTimeout(async () => {
      await runNow();
      if (!stopped) schedule(intervalMs);
    }, ms);
  };
  schedule(delayMs);

  return {
    runNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (running) await running;
    },
  };
}

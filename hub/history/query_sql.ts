/**
 * What the history queries share: SQL parameters numbered as a statement is built, time buckets,
 * the window a series reads (raw samples or hourly rollups), the raw-retention check, and time
 * conversions. Pure: nothing here touches the database.
 *
 * A series reads the raw tables when its step is under an hour (or not a whole number of hours)
 * and the hourly rollups otherwise. Raw rows are kept only for the raw retention, so a raw series
 * that starts before it is refused with a hint to use a longer step.
 *
 * @module
 */

import { FleetError } from "../../shared/errors.ts";
import { formatStep, type SeriesWindow, type TimeRange } from "./params.ts";
import { DEFAULT_RAW_RETENTION_MS } from "./settings.ts";
import type { Source } from "../../shared/history_api.ts";

/** How long raw rows are kept, and the time to measure that from. */
export interface RetentionOptions {
  /** @default 7 days */
  rawRetentionMs?: number;
  /** @default Date.now() */
  now?: number;
}

/** SQL parameters, numbered as a statement is built. */
export class Params {
  /** The values, in placeholder order. */
  readonly values: unknown[] = [];
  /** Adds a value and returns its placeholder (`$1`, `$2`, …). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** A time; sent as text so that neither driver rounds it. */
  time(ms: number): string {
    return `${this.add(new Date(ms).toISOString())}::text::timestamptz`;
  }
}

/**
 * SQL for the start (epoch seconds) of the `step`-second bucket that `column` falls in.
 * `date_part` computes in `double precision`; `extract` returns `numeric` since PostgreSQL 14,
 * which made the 24-hour series queries a quarter slower (BENCHMARKS.md, "History").
 */
export function bucket(column: string, step: string): string {
  return `(floor(date_part('epoch', ${column}) / ${step}) * ${step})::bigint`;
}

/**
 * Refuses a raw series that starts before the raw retention.
 *
 * @throws {FleetError} `BAD_REQUEST` (400), with a hint to use a step of whole hours.
 */
export function checkRetention(
  window: SeriesWindow,
  source: Source,
  options: RetentionOptions,
): void {
  const { rawRetentionMs = DEFAULT_RAW_RETENTION_MS, now = Date.now() } = options;
  if (source === "raw" && window.from < now - rawRetentionMs) {
    throw new FleetError(
      "BAD_REQUEST",
      `Raw history is kept for ${formatStep(Math.round(rawRetentionMs / 1000))} and from ` +
        `(${new Date(window.from).toISOString()}) is older: use a step of 1h or more to read ` +
        `the hourly rollups`,
      400,
    );
  }
}

/** The rows of a window: raw samples in `[from, to)`, or the hours that overlap it. */
export function inWindow(p: Params, source: Source, range: TimeRange): string {
  const from = p.time(range.from);
  const to = p.time(range.to);
  return source === "raw"
    ? `time >= ${from} AND time < ${to}`
    : `hour > ${from} - interval '1 hour' AND hour < ${to}`;
}

/** A database time (a Date, or text) as epoch ms. */
export function ms(value: unknown): number {
  return value instanceof Date ? value.getTime() : Date.parse(String(value));
}

/** Epoch ms as epoch seconds, the unit of the charts. */
export function seconds(ms: number): number {
  return ms / 1000;
}

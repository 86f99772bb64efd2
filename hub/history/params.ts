/**
 * The history API's query parameters, parsed and checked before any SQL runs: time ranges, series
 * steps, page sizes and cursors. Pure; every problem is a 400 {@link FleetError} that names the
 * parameter and says what it accepts.
 *
 * @module
 */

import { FleetError } from "../../shared/errors.ts";
import { encodeBase64Url } from "../../shared/encoding.ts";
import type { Source } from "../../shared/history_api.ts";

/** A half-open time range `[from, to)`, in milliseconds since the epoch. */
export interface TimeRange {
  from: number;
  to: number;
}

/** A range cut into buckets of `step` seconds, aligned to multiples of `step` since the epoch. */
export interface SeriesWindow extends TimeRange {
  step: number;
}

/** A page boundary: the last row's exact time (ISO text, microseconds kept) and id. */
export interface Cursor {
  time: string;
  id: string;
}

/** The raw query parameters, as `c.req.query()` gives them. */
export type QueryParams = Readonly<Record<string, string | undefined>>;

/** The shortest step a series may use, in seconds. */
export const MIN_STEP_S = 10;
/** The most buckets one series may have. */
export const MAX_POINTS = 2000;
/** About how many buckets a series gets when no step is asked for. */
export const TARGET_POINTS = 300;
/** The longest range a query may span. */
export const MAX_RANGE_MS = 400 * 86_400_000;
/** The page size when none is asked for. */
export const DEFAULT_LIMIT = 100;
/** The largest page size. */
export const MAX_LIMIT = 1000;

const DEFAULT_SPAN_MS = 24 * 3_600_000;
/** Steps picked when none is asked for, in seconds. */
const NICE_STEPS = [10, 30, 60, 300, 900, 1800, 3600, 10_800, 21_600, 43_200, 86_400];
const UNIT_S: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const TIME_ACCEPTS = 'expected an ISO 8601 time, "now", a time relative to now ("-24h", ' +
  '"now-7d", "-90m") or epoch seconds or milliseconds';
const STEP_ACCEPTS =
  `expected a duration ("10s", "5m", "1h", "1d") or seconds, at least ${MIN_STEP_S}`;

function badRequest(message: string): FleetError {
  return new FleetError("BAD_REQUEST", message, 400);
}

/** Treats an empty parameter (`?model=`) as an absent one. */
export function given(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * Reads one point in time. ISO 8601 date-times without an offset are taken as UTC, so that a URL
 * means the same thing whatever the hub's time zone.
 *
 * @param text The parameter's value.
 * @param options `param` names it in errors; `now` is the current time in ms.
 * @returns Milliseconds since the epoch.
 */
export function parseTime(text: string, options: { param: string; now: number }): number {
  const { param, now } = options;
  const value = text.trim();
  if (value === "now") return now;
  const relative = /^(?:now)?-(\d+)([smhdw])$/.exec(value);
  if (relative) return now - Number(relative[1]) * UNIT_S[relative[2]!]! * 1000;
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    return n < 1e11 ? n * 1000 : n;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const hasOffset = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value);
    const ms = Date.parse(value.includes("T") && !hasOffset ? `${value}Z` : value);
    if (Number.isFinite(ms)) return ms;
  }
  throw badRequest(`Invalid ${param} ${JSON.stringify(text)}: ${TIME_ACCEPTS}`);
}

/**
 * Reads `from` and `to`.
 *
 * @param params `from` (default `to` - 24h) and `to` (default now).
 * @param now The current time in ms.
 * @returns The range, checked: `from` < `to`, at most {@link MAX_RANGE_MS} long.
 */
export function parseRange(params: QueryParams, now: number): TimeRange {
  const toText = given(params.to);
  const fromText = given(params.from);
  const to = toText === undefined ? now : parseTime(toText, { param: "to", now });
  const from = fromText === undefined
    ? to - DEFAULT_SPAN_MS
    : parseTime(fromText, { param: "from", now });
  if (from >= to) {
    throw badRequest(
      `Invalid range: from (${new Date(from).toISOString()}) must be before to ` +
        `(${new Date(to).toISOString()})`,
    );
  }
  if (to - from > MAX_RANGE_MS) {
    throw badRequest(
      `Invalid range: it spans ${Math.ceil((to - from) / 86_400_000)} days: at most ` +
        `${MAX_RANGE_MS / 86_400_000} days are allowed`,
    );
  }
  return { from, to };
}

/** The bucket starts (epoch seconds) that cover `[from, to)` with buckets of `step` seconds. */
export function bucketStarts(window: SeriesWindow): number[] {
  const { step } = window;
  const first = Math.floor(window.from / 1000 / step) * step;
  const times: number[] = [];
  for (let t = first; t * 1000 < window.to; t += step) times.push(t);
  return times;
}

/** How many buckets a series over `range` has with `step` seconds. */
export function pointCount(range: TimeRange, step: number): number {
  const first = Math.floor(range.from / 1000 / step) * step;
  return Math.ceil((range.to / 1000 - first) / step);
}

/** Formats a step in seconds the way the API accepts it back: `90s`, `5m`, `3h`, `2d`. */
export function formatStep(step: number): string {
  for (const unit of ["d", "h", "m"] as const) {
    if (step % UNIT_S[unit]! === 0) return `${step / UNIT_S[unit]!}${unit}`;
  }
  return `${step}s`;
}

function defaultStep(range: TimeRange): number {
  for (const step of NICE_STEPS) if (pointCount(range, step) <= TARGET_POINTS) return step;
  let days = 2;
  while (pointCount(range, days * 86_400) > TARGET_POINTS) days++;
  return days * 86_400;
}

/**
 * Reads `step`, or picks a nice one giving at most about {@link TARGET_POINTS} buckets.
 *
 * @param text The parameter's value, if given.
 * @param range The range the series covers.
 * @returns The step in whole seconds, at least {@link MIN_STEP_S}, giving at most
 * {@link MAX_POINTS} buckets.
 */
export function parseStep(text: string | undefined, range: TimeRange): number {
  const value = given(text);
  if (value === undefined) return defaultStep(range);
  const match = /^(\d+)([smhdw]?)$/.exec(value);
  if (!match) throw badRequest(`Invalid step ${JSON.stringify(text)}: ${STEP_ACCEPTS}`);
  const step = Number(match[1]) * UNIT_S[match[2] || "s"]!;
  if (step < MIN_STEP_S) {
    throw badRequest(`Invalid step ${JSON.stringify(text)}: the smallest step is ${MIN_STEP_S}s`);
  }
  const points = pointCount(range, step);
  if (points > MAX_POINTS) {
    let fits = Math.max(MIN_STEP_S, Math.ceil((range.to - range.from) / 1000 / MAX_POINTS));
    while (pointCount(range, fits) > MAX_POINTS) fits++;
    throw badRequest(
      `Invalid step ${JSON.stringify(text)}: it gives ${points} points over this range, at most ` +
        `${MAX_POINTS} are allowed: use a step of ${formatStep(fits)} or more`,
    );
  }
  return step;
}

/** Raw below an hour or for a step that is not whole hours; the hourly rollups otherwise. */
export function sourceFor(step: number): Source {
  return step % 3600 === 0 ? "rollup" : "raw";
}

/**
 * Reads `from`, `to` and `step` together. When no step is given and the range starts before the
 * raw retention, the step picked is rounded up to whole hours, so that the rollups answer rather
 * than a 400.
 *
 * @param params `from`, `to` and `step`.
 * @param options `now` in ms; `rawRetentionMs`, how far back raw rows are kept.
 */
export function parseWindow(
  params: QueryParams,
  options: { now: number; rawRetentionMs?: number },
): SeriesWindow {
  const { now, rawRetentionMs = Infinity } = options;
  const range = parseRange(params, now);
  let step = parseStep(params.step, range);
  const beforeRaw = range.from < now - rawRetentionMs;
  if (given(params.step) === undefined && beforeRaw && sourceFor(step) === "raw") {
    step = Math.ceil(step / 3600) * 3600;
  }
  return { ...range, step };
}

/** Reads `limit`: a page size (or a number of series) from 1 to {@link MAX_LIMIT}. */
export function parseLimit(text: string | undefined): number {
  const value = given(text);
  if (value === undefined) return DEFAULT_LIMIT;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) {
    throw badRequest(
      `Invalid limit ${JSON.stringify(text)}: expected an integer from 1 to ${MAX_LIMIT}`,
    );
  }
  return n;
}

function checkChoice<T extends string>(value: string, param: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw badRequest(
    `Invalid ${param} ${JSON.stringify(value)}: expected one of ${choices.join(", ")}`,
  );
}

/** Reads one of a fixed set of words, or `fallback` when absent. */
export function parseChoice<T extends string>(
  text: string | undefined,
  options: { param: string; choices: readonly T[]; fallback: T },
): T {
  const value = given(text);
  return value === undefined
    ? options.fallback
    : checkChoice(value, options.param, options.choices);
}

/** Reads a comma-separated list of words from a fixed set (`event=load,unload`). */
export function parseChoices<T extends string>(
  text: string | undefined,
  options: { param: string; choices: readonly T[] },
): T[] | undefined {
  const value = given(text);
  if (value === undefined) return undefined;
  return value.split(",").map((part) => checkChoice(part.trim(), options.param, options.choices));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PG_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$/;

/** Whether `text` is a UUID, as the history tables' ids are. */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** Makes the opaque `next` value that fetches the page after the row at `cursor`. */
export function encodeCursor(cursor: Cursor): string {
  return encodeBase64Url(new TextEncoder().encode(`${cursor.time}|${cursor.id}`));
}

/** Reads `cursor`: absent means the first page; anything but a `next` value is a 400. */
export function parseCursor(text: string | undefined): Cursor | undefined {
  const value = given(text);
  if (value === undefined) return undefined;
  let decoded = "";
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new SyntaxError("not base64url");
    const binary = atob(value.replaceAll("-", "+").replaceAll("_", "/"));
    decoded = new TextDecoder("utf-8", { fatal: true })
      .decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
  } catch {
    // Reported below.
  }
  const [time, id, ...rest] = decoded.split("|");
  if (time && id && rest.length === 0 && PG_TIME.test(time) && isUuid(id)) return { time, id };
  throw badRequest(
    `Invalid cursor ${JSON.stringify(text)}: pass the "next" value of the previous page unchanged`,
  );
}

/** Which requests a `status` filter keeps. */
export type StatusFilter =
  | { code: number }
  | { class: 1 | 2 | 3 | 4 | 5 }
  | "error"
  | "ok";

/**
 * Reads `status`: a code (`200`), a class (`4xx`), `error` (a status of 400 or more, or an error
 * recorded) or `ok` (neither).
 */
export function parseStatus(text: string | undefined): StatusFilter | undefined {
  const value = given(text)?.toLowerCase();
  if (value === undefined) return undefined;
  if (value === "error" || value === "ok") return value;
  if (/^[1-5]\d\d$/.test(value)) return { code: Number(value) };
  if (/^[1-5]xx$/.test(value)) return { class: Number(value[0]) as 1 | 2 | 3 | 4 | 5 };
  throw badRequest(
    `Invalid status ${JSON.stringify(text)}: expected a code ("200"), a class ("4xx", "5xx"), ` +
      `"error" or "ok"`,
  );
}

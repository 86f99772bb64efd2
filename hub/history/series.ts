/**
 * Bucketed rows into uPlot's columnar "AlignedData": one shared time column (epoch seconds) with
 * every bucket of the window, then one column per group. The dashboard hands these to uPlot as
 * they are, so gaps are filled here: counts with 0, measurements with `null` (a gap in the line).
 * Pure.
 *
 * @module
 */

import { bucketStarts, type SeriesWindow } from "./params.ts";
import type { AlignedData } from "../../shared/history_api.ts";

/** How an empty bucket reads: a count is 0, a measurement is missing. */
export type FieldKind = "count" | "gauge";

/** One bucket of one group, as a query returns it: `t` is the bucket's start in epoch seconds. */
export interface BucketRow {
  t: number;
  group: string;
  [field: string]: unknown;
}

/** What {@link alignSeries} needs besides the rows. */
export interface AlignOptions<F extends string> {
  window: SeriesWindow;
  /** Each field to turn into a series, and how its empty buckets read. */
  fields: Readonly<Record<F, FieldKind>>;
  /** Groups are ranked by this field's total, highest first (then by label). */
  rankBy?: NoInfer<F>;
  /** The most groups returned; the rest are counted in `omitted`. @default Infinity */
  limit?: number;
  /** Groups that are present even when no row mentions them. */
  always?: readonly string[];
  /** Labels for groups, used to break ties in the ranking. @default the group itself */
  labels?: ReadonlyMap<string, string>;
}

/** Aligned series, one per field, with the same groups (and so columns) in each. */
export interface Aligned<F extends string> {
  times: number[];
  /** The groups kept, in column order. */
  groups: string[];
  /** How many groups were left out by `limit`. */
  omitted: number;
  series: Record<F, AlignedData>;
}

/**
 * A number for the chart, to a thousandth: `real` columns come back through `double precision`
 * with float noise (`9.360000133514404`), which is only bytes on the wire.
 */
function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? Math.round(n * 1000) / 1000 : null;
}

/**
 * Aligns bucketed rows over every bucket of the window; rows outside it are ignored.
 *
 * @param rows At most one row per bucket and group.
 * @param options The window, the fields and how groups are chosen.
 * @returns One {@link AlignedData} per field.
 */
export function alignSeries<F extends string>(
  rows: readonly BucketRow[],
  options: AlignOptions<F>,
): Aligned<F> {
  const { window, fields, rankBy, limit = Infinity, always = [], labels } = options;
  const times = bucketStarts(window);
  const index = new Map(times.map((t, i) => [t, i]));
  const totals = new Map<string, number>(always.map((g) => [g, 0]));
  for (const row of rows) {
    if (!index.has(Number(row.t))) continue;
    const add = rankBy === undefined ? 0 : toNumber(row[rankBy]) ?? 0;
    totals.set(row.group, (totals.get(row.group) ?? 0) + add);
  }
  const label = (group: string) => labels?.get(group) ?? group;
  const ranked = [...totals.keys()].sort((a, b) =>
    totals.get(b)! - totals.get(a)! || label(a).localeCompare(label(b)) || a.localeCompare(b)
  );
  const groups = ranked.slice(0, limit);
  const column = new Map(groups.map((g, i) => [g, i]));
  const names = Object.keys(fields) as F[];
  const series = {} as Record<F, AlignedData>;
  for (const name of names) {
    const fill = fields[name] === "count" ? 0 : null;
    series[name] = [times, ...groups.map(() => times.map(() => fill))];
  }
  for (const row of rows) {
    const i = index.get(Number(row.t));
    const g = column.get(row.group);
    if (i === undefined || g === undefined) continue;
    for (const name of names) {
      const value = toNumber(row[name]);
      series[name][g + 1]![i] = value ?? (fields[name] === "count" ? 0 : null);
    }
  }
  return { times, groups, omitted: ranked.length - groups.length, series };
}

/**
 * Several fields of one group as one table: `[times, field1, field2, …]`, the shape of a host's
 * system metrics.
 *
 * @param aligned Series aligned with one group (or none, when there was no data).
 * @param fields The fields, in column order.
 */
export function columnsOf<F extends string>(
  aligned: Aligned<F>,
  fields: readonly F[],
): AlignedData {
  return [
    aligned.times,
    ...fields.map((f) => aligned.series[f][1] ?? aligned.times.map(() => null)),
  ];
}

/**
 * The audit log's filters and the History page's state in the address bar: what the user chose
 * (range, grouping, host, filters) to and from a query string, and the request-log query sent to
 * the hub. Pure, so that a shared link opens the same view.
 *
 * @module
 */

import { query } from "../api.ts";
import { DEFAULT_RANGE, isPreset, type RangeChoice, type TimeRange } from "./range.ts";
import type { UsageBy } from "./types.ts";

/** The audit log's filters; an absent one keeps every request. */
export interface AuditFilters {
  /** A host id. */
  host?: string;
  model?: string;
  /** An API key's name. */
  key?: string;
  /** `ok`, `error`, a class (`4xx`) or a code (`404`), as the hub's `status` parameter takes. */
  status?: string;
  /** A path such as `/api/chat`. */
  endpoint?: string;
}

/** The filter names, in the order the filter bar shows them. */
export const FILTER_NAMES: readonly (keyof AuditFilters)[] = [
  "host",
  "model",
  "key",
  "status",
  "endpoint",
];

/** The status choices the filter bar offers. */
export const STATUS_CHOICES: readonly { value: string; label: string }[] = [
  { value: "ok", label: "Succeeded" },
  { value: "error", label: "Failed" },
  { value: "2xx", label: "2xx" },
  { value: "4xx", label: "4xx" },
  { value: "5xx", label: "5xx" },
];

/** The endpoints the filter bar suggests (any path can be typed). */
export const ENDPOINTS: readonly string[] = [
  "/api/chat",
  "/api/generate",
  "/api/embed",
  "/api/embeddings",
  "/api/pull",
  "/api/show",
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/embeddings",
  "/v1/messages",
];

/** Whether a status filter is one the hub accepts: `ok`, `error`, `4xx` or `404`. */
export function isStatusFilter(text: string): boolean {
  return /^(?:ok|error|[1-5]xx|[1-5]\d\d)$/i.test(text.trim());
}

/** The filters with empty values dropped and values trimmed; an invalid status is dropped too. */
export function cleanFilters(filters: AuditFilters): AuditFilters {
  const out: AuditFilters = {};
  for (const name of FILTER_NAMES) {
    const value = filters[name]?.trim();
    if (!value) continue;
    if (name === "status" && !isStatusFilter(value)) continue;
    out[name] = name === "status" ? value.toLowerCase() : value;
  }
  return out;
}

/** How many filters are set. */
export function filterCount(filters: AuditFilters): number {
  return Object.keys(cleanFilters(filters)).length;
}

/**
 * The `/api/history/requests` URL for a page of the audit log.
 *
 * @param filters What to keep.
 * @param options The span (epoch ms), the previous page's `next`, and the page size.
 */
export function requestsUrl(
  filters: AuditFilters,
  options: { range: TimeRange; cursor?: string | null; limit?: number },
): string {
  const { range, cursor, limit = 50 } = options;
  return `/api/history/requests${
    query({
      ...cleanFilters(filters),
      from: Math.floor(range.from),
      to: Math.ceil(range.to),
      limit,
      cursor,
    })
  }`;
}

/** Everything the History page shows a view of, kept in the address bar. */
export interface HistoryState {
  range: RangeChoice;
  by: UsageBy;
  /** The host whose metrics are shown, by id; `null` compares every host. */
  host: string | null;
  filters: AuditFilters;
}

const BY: readonly UsageBy[] = ["model", "host", "key", "none"];

/** The state a page opens with when the address says nothing. */
export const DEFAULT_STATE: HistoryState = {
  range: DEFAULT_RANGE,
  by: "model",
  host: null,
  filters: {},
};

/** Reads the page's state from `location.search`; anything missing or invalid takes its default. */
export function readState(search: string): HistoryState {
  const params = new URLSearchParams(search);
  let range: RangeChoice = DEFAULT_STATE.range;
  const preset = params.get("range");
  const from = Number(params.get("from"));
  const to = Number(params.get("to"));
  if (preset && isPreset(preset)) range = { kind: "preset", preset };
  else if (from > 0 && to > from) range = { kind: "custom", from, to };
  const by = params.get("by") ?? "";
  const filters: AuditFilters = {};
  for (const name of FILTER_NAMES) {
    const value = params.get(`log.${name}`);
    if (value) filters[name] = value;
  }
  return {
    range,
    by: (BY as readonly string[]).includes(by) ? by as UsageBy : DEFAULT_STATE.by,
    host: params.get("host") || null,
    filters: cleanFilters(filters),
  };
}

/** The query string (`?range=6h&by=host…`, or `""`) that {@link readState} reads back. */
export function writeState(state: HistoryState): string {
  const params: Record<string, string | number | null> = {};
  if (state.range.kind === "preset") {
    if (state.range.preset !== (DEFAULT_RANGE as { preset: string }).preset) {
      params.range = state.range.preset;
    }
  } else {
    params.from = Math.round(state.range.from);
    params.to = Math.round(state.range.to);
  }
  if (state.by !== DEFAULT_STATE.by) params.by = state.by;
  params.host = state.host;
  const filters = cleanFilters(state.filters);
  for (const name of FILTER_NAMES) params[`log.${name}`] = filters[name] ?? null;
  return query(params);
}

/**
 * The event timeline as lanes, one per host: when each model was loaded (from load and unload
 * events) and the host's state over time (from its status events), plus point events such as
 * reboots. Pure: the lane chart only positions what this computes.
 *
 * @module
 */

import type { TimeRange } from "./range.ts";
import type { HostRef, ModelEventView, ServerEventView } from "./types.ts";

/** A span on a lane, clipped to the range. */
export interface Segment {
  start: number;
  end: number;
  /** A model's name, or a host state (`online`, `offline`, …). */
  label: string;
  /** Whether it began before the range (or before the hub saw it begin). */
  openStart: boolean;
  /** Whether it was still going at the end of the range. */
  openEnd: boolean;
}

/** Something that happened at one moment: a reboot, a new Ollama version, discovery, removal. */
export interface Mark {
  time: number;
  event: string;
  detail: string | null;
}

/** One host's lane. */
export interface Lane {
  host: HostRef;
  /** Model load spans, each on its own row when they overlap (`row` 0, 1, …). */
  models: (Segment & { row: number })[];
  /** How many rows the model spans need. */
  rows: number;
  states: Segment[];
  marks: Mark[];
}

/** The host states a status event moves to. */
export const HOST_STATES: readonly string[] = [
  "online",
  "degraded",
  "offline",
  "draining",
  "maintenance",
];

function clip(range: TimeRange, seg: Omit<Segment, "openStart" | "openEnd">, open: {
  start: boolean;
  end: boolean;
}): Segment | null {
  const start = Math.max(range.from, seg.start);
  const end = Math.min(range.to, seg.end);
  if (end <= start) return null;
  return {
    ...seg,
    start,
    end,
    openStart: open.start || seg.start < range.from,
    openEnd: open.end,
  };
}

function modelSpans(events: readonly ModelEventView[], range: TimeRange): Segment[] {
  const open = new Map<string, number>();
  const spans: Segment[] = [];
  const push = (model: string, start: number, end: number, o: { start: boolean; end: boolean }) => {
    const seg = clip(range, { start, end, label: model }, o);
    if (seg) spans.push(seg);
  };
  for (const e of events) {
    if (e.event === "load") {
      if (!open.has(e.model)) open.set(e.model, e.time);
    } else if (e.event === "unload") {
      const since = open.get(e.model);
      open.delete(e.model);
      if (since !== undefined) push(e.model, since, e.time, { start: false, end: false });
      else if (e.loadedMs !== null) {
        push(e.model, e.time - e.loadedMs, e.time, { start: false, end: false });
      } else push(e.model, range.from, e.time, { start: true, end: false });
    }
  }
  for (const [model, since] of open) push(model, since, range.to, { start: false, end: true });
  return spans.sort((a, b) => a.start - b.start || a.label.localeCompare(b.label));
}

/** Puts each span on the first row where it overlaps nothing. */
function stack(spans: readonly Segment[]): { rows: number; placed: (Segment & { row: number })[] } {
  const rowEnds: number[] = [];
  const placed = spans.map((seg) => {
    let row = rowEnds.findIndex((end) => end <= seg.start);
    if (row < 0) row = rowEnds.push(0) - 1;
    rowEnds[row] = seg.end;
    return { ...seg, row };
  });
  return { rows: rowEnds.length, placed };
}

function stateSpans(events: readonly ServerEventView[], range: TimeRange): Segment[] {
  const spans: Segment[] = [];
  let state: string | null = null;
  let since = range.from;
  let fromStart = true;
  for (const e of events) {
    if (e.event === "discovered" && state === null) {
      // Nothing is known of the host before the hub found it.
      since = e.time;
      fromStart = false;
      continue;
    }
    if (!HOST_STATES.includes(e.event) && e.event !== "removed") continue;
    if (state === null && e.previous !== null && HOST_STATES.includes(e.previous)) {
      state = e.previous;
    }
    if (state !== null) {
      const seg = clip(range, { start: since, end: e.time, label: state }, {
        start: fromStart,
        end: false,
      });
      if (seg) spans.push(seg);
    }
    state = e.event === "removed" ? null : e.event;
    since = e.time;
    fromStart = false;
  }
  if (state !== null) {
    const seg = clip(range, { start: since, end: range.to, label: state }, {
      start: fromStart,
      end: true,
    });
    if (seg) spans.push(seg);
  }
  return spans;
}

/**
 * Builds a lane per host from a range's events (in any order), hosts by name.
 *
 * @param modelEvents Load and unload events (added and removed are ignored here).
 * @param serverEvents Status changes become state spans; the rest become marks.
 * @param range The span the chart covers.
 */
export function buildTimeline(
  modelEvents: readonly ModelEventView[],
  serverEvents: readonly ServerEventView[],
  range: TimeRange,
): Lane[] {
  const hosts = new Map<string, HostRef>();
  for (const e of [...modelEvents, ...serverEvents]) hosts.set(e.host.id, e.host);
  const byTime = <T extends { time: number; id: string }>(list: readonly T[]) =>
    [...list].sort((a, b) => a.time - b.time || a.id.localeCompare(b.id));
  const models = byTime(modelEvents);
  const servers = byTime(serverEvents);
  return [...hosts.values()]
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
    .map((host) => {
      const own = servers.filter((e) => e.host.id === host.id);
      const spans = modelSpans(models.filter((e) => e.host.id === host.id), range);
      const { rows, placed } = stack(spans);
      return {
        host,
        models: placed,
        rows,
        states: stateSpans(own, range),
        marks: own
          .filter((e) => !HOST_STATES.includes(e.event))
          .filter((e) => e.time >= range.from && e.time < range.to)
          .map((e) => ({ time: e.time, event: e.event, detail: e.detail })),
      };
    });
}

/** Where a time falls across the range, 0-100 (percent of the lane's width). */
export function position(time: number, range: TimeRange): number {
  const span = range.to - range.from;
  if (span <= 0) return 0;
  return Math.min(100, Math.max(0, (100 * (time - range.from)) / span));
}

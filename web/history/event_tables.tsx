/**
 * The model and host events of a range as compact tables, newest first, a page at a time.
 *
 * @module
 */

import "./logs.css";
import { query } from "../api.ts";
import { bytes, dateTime, duration } from "../format.ts";
import type { TimeRange } from "./range.ts";
import type { ModelEventPage, ModelEventView, ServerEventPage, ServerEventView } from "./types.ts";
import { PagedTable } from "./paged_table.tsx";
import { logTime } from "./units.ts";
import { usePaged } from "./use_paged.ts";

const PAGE = 20;

const MODEL_TONE: Readonly<Record<string, string>> = {
  load: "ok",
  unload: "",
  added: "info",
  removed: "warn",
};

const SERVER_TONE: Readonly<Record<string, string>> = {
  online: "ok",
  discovered: "info",
  degraded: "warn",
  draining: "warn",
  maintenance: "warn",
  offline: "bad",
  reboot: "bad",
  removed: "",
  "ollama-version": "info",
};

/** What a host event's detail column says. */
function serverDetail(e: ServerEventView): string {
  if (e.event === "ollama-version") return `Ollama ${e.previous ?? "?"} → ${e.detail ?? "?"}`;
  if (e.event === "reboot") return e.detail ?? "";
  const was = e.previous ? `was ${e.previous}` : "";
  return [was, e.detail].filter(Boolean).join(" · ");
}

/** Model loads, unloads, additions and removals. */
export function ModelEventTable(props: { range: TimeRange; reload: number }) {
  const { range } = props;
  const paged = usePaged<ModelEventView, ModelEventPage>(
    (cursor) =>
      `/api/history/model-events${query({ from: range.from, to: range.to, limit: PAGE, cursor })}`,
    `${range.from}|${range.to}|${props.reload}`,
    (a) => ({ items: a.events, next: a.next }),
  );
  const now = Date.now();
  return (
    <PagedTable
      paged={paged}
      head={
        <tr>
          <th>Time</th>
          <th>Host</th>
          <th>Model</th>
          <th>Event</th>
          <th class="right">Size</th>
          <th class="right">Loaded for</th>
        </tr>
      }
      row={(e) => (
        <tr key={e.id}>
          <td class="num nowrap" title={dateTime(e.time)}>{logTime(e.time, now)}</td>
          <td class="nowrap">{e.host.name}</td>
          <td class="mono nowrap">{e.model}</td>
          <td>
            <span class={`badge ${MODEL_TONE[e.event] ?? ""}`}>{e.event}</span>
          </td>
          <td class="num right nowrap">{bytes(e.sizeVram ?? e.size)}</td>
          <td class="num right nowrap">{e.loadedMs === null ? "" : duration(e.loadedMs)}</td>
        </tr>
      )}
    />
  );
}

/** Hosts found, going online or offline, draining, rebooting…. */
export function ServerEventTable(props: { range: TimeRange; reload: number }) {
  const { range } = props;
  const paged = usePaged<ServerEventView, ServerEventPage>(
    (cursor) =>
      `/api/history/server-events${query({ from: range.from, to: range.to, limit: PAGE, cursor })}`,
    `${range.from}|${range.to}|${props.reload}`,
    (a) => ({ items: a.events, next: a.next }),
  );
  const now = Date.now();
  return (
    <PagedTable
      paged={paged}
      head={
        <tr>
          <th>Time</th>
          <th>Host</th>
          <th>Event</th>
          <th>Detail</th>
        </tr>
      }
      row={(e) => (
        <tr key={e.id}>
          <td class="num nowrap" title={dateTime(e.time)}>{logTime(e.time, now)}</td>
          <td class="nowrap">{e.host.name}</td>
          <td>
            <span class={`badge ${SERVER_TONE[e.event] ?? ""}`}>{e.event}</span>
          </td>
          <td class="muted detail">{serverDetail(e)}</td>
        </tr>
      )}
    />
  );
}

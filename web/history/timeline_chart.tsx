/**
 * `<TimelineChart>`: the model event timeline as lanes, one per host: a bar for each span a model
 * stayed loaded, a thin strip for the host's state (online, degraded, offline, draining,
 * maintenance), and ticks for reboots and other moments.
 *
 * @module
 */

import "./timeline.css";
import { useMemo } from "preact/hooks";
import { query } from "../api.ts";
import { dateTime, duration } from "../format.ts";
import { colorOf } from "./palette.ts";
import type { TimeRange } from "./range.ts";
import { buildTimeline, position, type Segment } from "./timeline.ts";
import type { ModelEventPage, ServerEventPage } from "./types.ts";
import { useApi } from "./use_api.ts";

/** The most events of each kind the timeline reads. */
const MAX_EVENTS = 1000;
const ROW = 22;

function spanTitle(seg: Segment, what: string): string {
  const start = seg.openStart ? `before ${dateTime(seg.start)}` : dateTime(seg.start);
  const end = seg.openEnd ? "still now" : dateTime(seg.end);
  return `${what}\n${start} → ${end}\n${seg.openStart ? "at least " : ""}${
    duration(seg.end - seg.start)
  }`;
}

function ticks(range: TimeRange): { at: number; text: string }[] {
  const span = range.to - range.from;
  const withDate = span > 86_400_000;
  return [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const t = new Date(range.from + f * span);
    const p = (n: number) => String(n).padStart(2, "0");
    const time = `${p(t.getHours())}:${p(t.getMinutes())}`;
    const date = `${t.toLocaleString("en", { month: "short" })} ${t.getDate()}`;
    return { at: f * 100, text: withDate ? `${date} ${time}` : time };
  });
}

/** The lane chart over `range`. */
export function TimelineChart(props: { range: TimeRange; reload: number }) {
  const { range } = props;
  const q = query({ from: range.from, to: range.to, limit: MAX_EVENTS });
  const models = useApi<ModelEventPage>(
    `/api/history/model-events${q}&event=load,unload`,
    props.reload,
  );
  const servers = useApi<ServerEventPage>(`/api/history/server-events${q}`, props.reload);
  const lanes = useMemo(
    () =>
      models.data && servers.data
        ? buildTimeline(models.data.events, servers.data.events, range)
        : null,
    [models.data, servers.data],
  );
  const error = models.error ?? servers.error;
  if (error) return <div class="chart-state bad">{error.message}</div>;
  if (!lanes) return <div class="chart-state loading">Loading…</div>;
  if (lanes.length === 0) {
    return <div class="chart-state">No model or host events in this range</div>;
  }
  const cut = models.data?.next || servers.data?.next;
  return (
    <div class="timeline">
      <div class="tl-lane tl-axis">
        <div class="tl-host" />
        <div class="tl-track">
          {ticks(range).map((t) => (
            <span key={t.at} class="tl-tick" style={{ left: `${t.at}%` }}>{t.text}</span>
          ))}
        </div>
      </div>
      {lanes.map((lane) => (
        <div class="tl-lane" key={lane.host.id}>
          <div class="tl-host" title={lane.host.id}>{lane.host.name}</div>
          <div class="tl-track" style={{ height: `${Math.max(1, lane.rows) * ROW + 10}px` }}>
            {lane.states.map((s) => (
              <span
                key={`s${s.start}`}
                class={`tl-state ${s.label}`}
                style={{
                  left: `${position(s.start, range)}%`,
                  width: `${position(s.end, range) - position(s.start, range)}%`,
                }}
                title={spanTitle(s, `${lane.host.name}: ${s.label}`)}
              />
            ))}
            {lane.models.map((m) => {
              const left = position(m.start, range);
              return (
                <span
                  key={`m${m.label}${m.start}`}
                  class={`tl-model${m.openStart ? " open-start" : ""}${
                    m.openEnd ? " open-end" : ""
                  }`}
                  style={{
                    left: `${left}%`,
                    width: `max(3px, ${position(m.end, range) - left}%)`,
                    top: `${8 + m.row * ROW}px`,
                    background: colorOf(m.label),
                  }}
                  title={spanTitle(m, `${m.label} loaded on ${lane.host.name}`)}
                >
                  {m.label}
                </span>
              );
            })}
            {lane.marks.map((m) => (
              <span
                key={`k${m.time}${m.event}`}
                class={`tl-mark ${m.event}`}
                style={{ left: `${position(m.time, range)}%` }}
                title={`${m.event}${m.detail ? `: ${m.detail}` : ""}\n${dateTime(m.time)}`}
              />
            ))}
          </div>
        </div>
      ))}
      <div class="tl-legend faint">
        <span>
          <i class="tl-key online" />online
        </span>
        <span>
          <i class="tl-key degraded" />degraded
        </span>
        <span>
          <i class="tl-key offline" />offline
        </span>
        <span>
          <i class="tl-key draining" />draining / maintenance
        </span>
        <span>
          <i class="tl-key mark" />reboot, new Ollama, found, removed
        </span>
        <span>bars: models loaded (hover for times)</span>
        {cut && <span class="warn-text">showing the newest {MAX_EVENTS} events of each kind</span>}
      </div>
    </div>
  );
}

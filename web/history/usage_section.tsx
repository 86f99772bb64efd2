/**
 * The History page's usage section: totals over the range, then requests, tokens, latency and
 * errors over time, a line per model, host or key (or one for everything).
 *
 * @module
 */

import { useMemo, useState } from "preact/hooks";
import { query } from "../api.ts";
import { duration, percent } from "../format.ts";
import { ChartPanel } from "./chart_panel.tsx";
import { stepLabel, type TimeRange } from "./range.ts";
import { LATENCY_METRICS, usageChart, type UsageMetric, usageTotals } from "./series.ts";
import type { UsageBy, UsageResult } from "./types.ts";
import { shortNumber } from "./units.ts";
import { useApi } from "./use_api.ts";

/** The groupings the switch offers. */
const GROUPINGS: readonly { id: UsageBy; label: string }[] = [
  { id: "model", label: "Model" },
  { id: "host", label: "Host" },
  { id: "key", label: "API key" },
  { id: "none", label: "Total" },
];

/** The most lines a usage chart draws (one per colour); the quieter groups are counted instead. */
const MAX_GROUPS = 10;

/** What the usage section reads. */
export interface UsageSectionProps {
  range: TimeRange;
  step: number;
  by: UsageBy;
  onBy: (by: UsageBy) => void;
  reload: number;
  onZoom: (range: TimeRange) => void;
}

function Stat(props: { label: string; value: string; sub?: string; tone?: string }) {
  return (
    <div class={`stat${props.tone ? ` ${props.tone}` : ""}`}>
      <span class="stat-label">{props.label}</span>
      <span class="stat-value num">{props.value}</span>
      {props.sub && <span class="stat-sub faint">{props.sub}</span>}
    </div>
  );
}

/** The usage section. */
export function UsageSection(props: UsageSectionProps) {
  const { range, step, by } = props;
  const [latency, setLatency] = useState<UsageMetric>("latency_p95");
  const path = `/api/history/usage${
    query({ by, from: range.from, to: range.to, step, limit: MAX_GROUPS })
  }`;
  const { data, error, loading } = useApi<UsageResult>(path, props.reload);
  const totals = useMemo(() => data && usageTotals(data), [data]);
  const charts = useMemo(() => {
    if (!data) return null;
    const of = (metric: UsageMetric) => usageChart(data, metric);
    return { requests: of("requests"), tokens: of("tokens"), errors: of("errors") };
  }, [data]);
  const latencyChart = useMemo(() => data && usageChart(data, latency), [data, latency]);
  const bucket = `per ${stepLabel(step)} bucket`;
  const approx = data?.approximate ? " · hourly rollups, percentiles approximate" : "";
  const shared = { step, loading, error, sync: "history", onZoom: props.onZoom };

  return (
    <section class="history-section">
      <div class="section-head">
        <h2>Usage</h2>
        <div class="segmented" role="group" aria-label="Group usage by">
          {GROUPINGS.map((g) => (
            <button
              type="button"
              key={g.id}
              class={by === g.id ? "on" : ""}
              onClick={() => props.onBy(g.id)}
            >
              {g.label}
            </button>
          ))}
        </div>
        {data && data.omitted > 0 && (
          <span class="faint">
            the {MAX_GROUPS} busiest shown, {data.omitted} more left out
          </span>
        )}
      </div>
      <div class="stats">
        <Stat
          label="Requests"
          value={totals ? shortNumber(totals.requests) : "–"}
          sub={totals
            ? `${shortNumber((totals.requests * 60_000) / (range.to - range.from))} per min`
            : undefined}
        />
        <Stat
          label="Errors"
          value={totals ? shortNumber(totals.errors) : "–"}
          sub={totals?.errorRate != null ? `${percent(totals.errorRate)} of requests` : undefined}
          tone={totals && totals.errors > 0 ? "warn" : undefined}
        />
        <Stat
          label="Tokens"
          value={totals ? shortNumber(totals.promptTokens + totals.completionTokens) : "–"}
          sub={totals
            ? `${shortNumber(totals.promptTokens)} in · ${shortNumber(totals.completionTokens)} out`
            : undefined}
        />
        <Stat
          label="Typical duration"
          value={duration(totals?.latencyP50)}
          sub="median, weighted by requests"
        />
        <Stat
          label="Typical first byte"
          value={duration(totals?.ttfbP50)}
          sub="median time to first byte"
        />
      </div>
      <div class="chart-grid two">
        <ChartPanel
          title="Requests"
          hint={`requests per minute · ${bucket}`}
          spec={charts?.requests ?? null}
          empty="No requests in this range"
          {...shared}
        />
        <ChartPanel
          title="Tokens"
          hint={`prompt + completion tokens per second · ${bucket}`}
          spec={charts?.tokens ?? null}
          empty="No tokens in this range"
          {...shared}
        />
        <ChartPanel
          title="Latency"
          hint={`${LATENCY_METRICS.find((m) => m.id === latency)!.label} · ${bucket}${approx}`}
          spec={latencyChart}
          empty="No requests in this range"
          tools={
            <select
              aria-label="Latency measure"
              value={latency}
              onChange={(e) => setLatency(e.currentTarget.value as UsageMetric)}
            >
              {LATENCY_METRICS.map((m) => <option key={m.id} value={m.id}>{m.label}</option>)}
            </select>
          }
          {...shared}
        />
        <ChartPanel
          title="Errors"
          hint={`failed requests per minute (HTTP 4xx/5xx or an error) · ${bucket}`}
          spec={charts?.errors ?? null}
          empty="No errors in this range"
          {...shared}
        />
      </div>
    </section>
  );
}

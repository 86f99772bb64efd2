/**
 * The History page's host metrics: every host compared (GPU utilisation, VRAM, temperature,
 * power, CPU, memory, a line per host), or one host in detail (a line per GPU).
 *
 * @module
 */

import { useMemo } from "preact/hooks";
import { query } from "../api.ts";
import { ChartPanel } from "./chart_panel.tsx";
import { stepLabel, type TimeRange } from "./range.ts";
import { FLEET_CHARTS, fleetChart, hostCharts } from "./series.ts";
import type { FleetMetricResult, HistoryHost, HostMetricsResult } from "./types.ts";
import { type ApiState, useApi } from "./use_api.ts";

/** What the host section reads. */
export interface HostsSectionProps {
  range: TimeRange;
  step: number;
  /** A host id, or `null` to compare every host. */
  host: string | null;
  onHost: (host: string | null) => void;
  /** Every host history knows (`/api/history/hosts`), for the picker. */
  hosts: ApiState<{ hosts: HistoryHost[] }>;
  reload: number;
  onZoom: (range: TimeRange) => void;
}

const HINTS: Readonly<Record<string, string>> = {
  "gpu-util": "percent busy",
  "gpu-vram": "memory in use",
  "gpu-temp": "GPUs and CPU",
  "gpu-power": "watts drawn",
  cpu: "percent busy, all cores",
  memory: "percent used",
  "cpu-temp": "package temperature",
};

function FleetMetricChart(
  props: { metric: string; title: string } & Omit<HostsSectionProps, "host" | "onHost" | "hosts">,
) {
  const { range, step } = props;
  const path = `/api/history/fleet-metrics${
    query({ metric: props.metric, from: range.from, to: range.to, step })
  }`;
  const { data, error, loading } = useApi<FleetMetricResult>(path, props.reload);
  const spec = useMemo(() => data && fleetChart(data, props.title), [data, props.title]);
  const mean = props.metric.startsWith("cpu") || props.metric.startsWith("mem_")
    ? ""
    : "mean of the host's GPUs · ";
  return (
    <ChartPanel
      title={props.title}
      hint={`${mean}per host · ${stepLabel(step)} buckets`}
      spec={spec}
      step={step}
      loading={loading}
      error={error}
      sync="history"
      onZoom={props.onZoom}
      height={180}
      empty="Not reported by any host in this range"
    />
  );
}

function HostCharts(props: Omit<HostsSectionProps, "onHost" | "hosts"> & { host: string }) {
  const { range, step } = props;
  const path = `/api/history/metrics${
    query({ host: props.host, from: range.from, to: range.to, step })
  }`;
  const { data, error, loading } = useApi<HostMetricsResult>(path, props.reload);
  const charts = useMemo(() => data && hostCharts(data), [data]);
  if (!charts) {
    return (
      <div class="chart-grid three">
        <ChartPanel
          title={error ? "Metrics" : "Loading…"}
          spec={null}
          step={step}
          loading={loading}
          error={error}
          height={180}
        />
      </div>
    );
  }
  return (
    <div class="chart-grid three">
      {charts.map((c) => (
        <ChartPanel
          key={c.id}
          title={c.title}
          hint={`${HINTS[c.id] ?? ""} · ${stepLabel(step)} buckets`}
          spec={c}
          step={step}
          loading={loading}
          error={null}
          sync="history"
          onZoom={props.onZoom}
          height={180}
          empty="Not reported by this host in this range"
        />
      ))}
    </div>
  );
}

/** The host metrics section. */
export function HostsSection(props: HostsSectionProps) {
  const { hosts } = props;
  const list = hosts.data?.hosts ?? [];
  const unknown = props.host !== null && hosts.data && !list.some((h) => h.id === props.host);
  return (
    <section class="history-section">
      <div class="section-head">
        <h2>Hosts</h2>
        <select
          aria-label="Host"
          value={props.host ?? ""}
          onChange={(e) => props.onHost(e.currentTarget.value || null)}
        >
          <option value="">All hosts, compared</option>
          {list.map((h) => <option key={h.id} value={h.id}>{h.name}</option>)}
          {unknown && <option value={props.host!}>{props.host}</option>}
        </select>
        {hosts.error && <span class="error-text">{hosts.error.message}</span>}
      </div>
      {props.host === null
        ? (
          <div class="chart-grid three">
            {FLEET_CHARTS.map((c) => (
              <FleetMetricChart key={c.metric} metric={c.metric} title={c.title} {...props} />
            ))}
          </div>
        )
        : <HostCharts {...props} host={props.host} />}
    </section>
  );
}

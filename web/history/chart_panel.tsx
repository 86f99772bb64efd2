/**
 * `<ChartPanel>`: a chart in its panel, with a title, a corner for controls, and the states
 * around it (loading, the hub's error, nothing in the range).
 *
 * @module
 */

import type { ComponentChildren } from "preact";
import type { ApiError } from "../api.ts";
import { Chart } from "./chart.tsx";
import type { TimeRange } from "./range.ts";
import { type ChartSpec, hasData } from "./series.ts";

/** What a chart panel shows. */
export interface ChartPanelProps {
  title: string;
  /** A line under the title: the unit, the bucket width. */
  hint?: string;
  /** The chart, once its data has come. */
  spec: ChartSpec | null;
  step: number;
  loading: boolean;
  error: ApiError | null;
  /** What an empty chart says. @default "No data in this range" */
  empty?: string;
  /** Controls in the panel's corner. */
  tools?: ComponentChildren;
  sync?: string;
  onZoom?: (range: TimeRange) => void;
  /** @default 200 */
  height?: number;
}

/** A chart panel. */
export function ChartPanel(props: ChartPanelProps) {
  const { spec, loading, error, height = 200 } = props;
  let body;
  if (error) {
    body = <div class="chart-state bad">{error.message}</div>;
  } else if (!spec) {
    body = <div class={`chart-state${loading ? " loading" : ""}`}>{loading ? "Loading…" : ""}</div>;
  } else if (!hasData(spec)) {
    body = <div class="chart-state">{props.empty ?? "No data in this range"}</div>;
  } else {
    body = (
      <Chart
        data={spec.data}
        labels={spec.labels}
        unit={spec.unit}
        step={props.step}
        height={height}
        sync={props.sync}
        onZoom={props.onZoom}
      />
    );
  }
  return (
    <section class={`panel chart-panel${loading && spec ? " refreshing" : ""}`}>
      <header class="chart-head">
        <div>
          <h3>{props.title}</h3>
          {props.hint && <span class="faint">{props.hint}</span>}
        </div>
        {props.tools}
      </header>
      <div class="chart-body" style={{ minHeight: `${height + 28}px` }}>{body}</div>
    </section>
  );
}

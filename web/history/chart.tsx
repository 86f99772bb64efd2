/**
 * `<Chart>`: a small uPlot wrapper. The plot is created once per shape (its lines and unit), fed
 * new data with `setData`, resized with its box by a `ResizeObserver`, and destroyed on unmount.
 * Charts with the same `sync` key share a cursor; dragging across one reports the span picked
 * (`onZoom`) instead of zooming alone, so that the page can zoom everything at once.
 *
 * @module
 */

import "uplot/dist/uPlot.min.css";
import "./chart.css";
import uPlot from "uplot";
import { useEffect, useRef } from "preact/hooks";
import type { TimeRange } from "./range.ts";
import { assignColors } from "./palette.ts";
import { tooltipPlugin } from "./tooltip.ts";
import type { AlignedData } from "./types.ts";
import { formatTick, formatValue, timeTicks, type Unit } from "./units.ts";

const AXIS = "#8b96a5";
const GRID = "rgba(42, 51, 66, 0.8)";

/** What a chart draws. */
export interface ChartProps {
  data: AlignedData;
  /** One name per line, in `data`'s column order. */
  labels: readonly string[];
  unit: Unit;
  /** Bucket width in seconds, for the tooltip's time. */
  step: number;
  /** @default 200 */
  height?: number;
  /** Charts with the same key share the cursor. */
  sync?: string;
  /** Called with the span dragged across the chart (epoch ms). */
  onZoom?: (range: TimeRange) => void;
}

function yRange(unit: Unit): uPlot.Scale.Range {
  return (_u, min, max) => {
    if (unit === "%") return [0, Math.max(100, max)];
    if (unit === "°C") {
      const low = Math.max(0, Math.floor((min - 5) / 10) * 10);
      return [low, Math.max(low + 10, Math.ceil((max + 5) / 10) * 10)];
    }
    const top = max > 0 ? max : 1;
    return uPlot.rangeNum(0, top, 0.1, true) as uPlot.Range.MinMax;
  };
}

function options(props: ChartProps, width: number): uPlot.Options {
  const { labels, unit, step, height = 200, sync, onZoom } = props;
  const single = labels.length === 1;
  const colors = assignColors(labels);
  return {
    width,
    height,
    cursor: {
      sync: sync ? { key: sync } : undefined,
      drag: { x: true, y: false, setScale: false },
      points: { size: 6 },
    },
    legend: {
      show: labels.length > 0,
      live: false,
      markers: { width: 0, fill: (_u, i) => colors[i - 1]! },
    },
    scales: { y: { range: yRange(unit) } },
    series: [
      {},
      ...labels.map((label, i) => ({
        label,
        stroke: colors[i]!,
        width: 1.5,
        fill: single ? `${colors[i]}1f` : undefined,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => formatValue(unit, v),
      })),
    ],
    axes: [
      {
        stroke: AXIS,
        grid: { stroke: GRID, width: 1 },
        ticks: { stroke: GRID, width: 1 },
        font: "11px system-ui, sans-serif",
        values: (_u, splits, _axis, _space, increment) => timeTicks(splits, increment),
      },
      {
        stroke: AXIS,
        grid: { stroke: GRID, width: 1 },
        ticks: { show: false },
        font: "11px system-ui, sans-serif",
        size: 58,
        values: (_u, splits) => splits.map((v) => formatTick(unit, v)),
      },
    ],
    hooks: {
      setSelect: [
        (u) => {
          if (!onZoom || u.select.width < 4) return;
          const from = u.posToVal(u.select.left, "x") * 1000;
          const to = u.posToVal(u.select.left + u.select.width, "x") * 1000;
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          if (to - from >= 60_000) onZoom({ from: Math.floor(from), to: Math.ceil(to) });
        },
      ],
    },
    plugins: [tooltipPlugin({ format: (v) => formatValue(unit, v), step, colors })],
  };
}

/** A time-series chart: lines over the time column of `data`. */
export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const shape = `${props.unit}|${props.step}|${props.height}|${props.sync}|` +
    props.labels.join("\u0000");

  useEffect(() => {
    const el = box.current!;
    const u = new uPlot(
      options(
        { ...latest.current, onZoom: (r) => latest.current.onZoom?.(r) },
        Math.max(100, el.clientWidth),
      ),
      latest.current.data as uPlot.AlignedData,
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const width = Math.max(100, Math.floor(el.clientWidth));
      if (width !== u.width) u.setSize({ width, height: latest.current.height ?? 200 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    const u = plot.current;
    if (u && u.data !== (props.data as unknown)) u.setData(props.data as uPlot.AlignedData);
  }, [props.data]);

  // How many values are drawn: what a test (or a curious operator) can read off the page.
  return <div class="chart" ref={box} data-points={drawnPoints(props.data)} />;
}

/** The non-null values over every series but the time column. */
function drawnPoints(data: ChartProps["data"]): number {
  let count = 0;
  for (const series of data.slice(1)) {
    const values = series as ArrayLike<number | null | undefined>;
    for (let i = 0; i < values.length; i++) {
      if (values[i] !== null && values[i] !== undefined) count++;
    }
  }
  return count;
}

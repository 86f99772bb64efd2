import type { SparkPoint } from "../../shared/dashboard.ts";
import { SPARK_WINDOW_MS } from "../fleet_model.ts";

/**
 * An SVG path through the points' `key` values (percent 0-100, `vram` as a fraction), broken at
 * gaps (`null`), over a `width` x `height` box whose right edge is `end` and which spans `windowMs`.
 */
export function sparkPath(
  points: readonly SparkPoint[],
  key: "gpu" | "cpu" | "vram",
  box: { width: number; height: number; end: number; windowMs: number },
): string {
  const { width, height, end, windowMs } = box;
  let path = "";
  let pen = false;
  for (const p of points) {
    const raw = p[key];
    if (raw === null) {
      pen = false;
      continue;
    }
    const value = key === "vram" ? raw * 100 : raw;
    const x = width - ((end - p.t) / windowMs) * width;
    const y = height - 1 - (Math.max(0, Math.min(100, value)) / 100) * (height - 2);
    path += `${pen ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`;
    pen = true;
  }
  return path;
}

/**
 * A host's last minutes as a tiny chart: GPU busy as a filled line, CPU busy as a thin one. Inline
 * SVG: fifty of these cost far less than fifty canvases.
 */
export function Sparkline(props: { points: readonly SparkPoint[]; height?: number }) {
  const width = 300;
  const height = props.height ?? 36;
  const last = props.points[props.points.length - 1];
  if (!last) {
    return (
      <svg class="spark" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none">
        <line x1="0" y1={height - 1} x2={width} y2={height - 1} class="spark-base" />
      </svg>
    );
  }
  const box = { width, height, end: last.t, windowMs: SPARK_WINDOW_MS };
  const gpu = sparkPath(props.points, "gpu", box);
  const cpu = sparkPath(props.points, "cpu", box);
  // The GPU area: each run of the line closed down to the baseline.
  const area = gpu.split("M").filter(Boolean).map((run) => {
    const coords = run.split("L");
    const firstX = coords[0]!.split(" ")[0];
    const lastX = coords[coords.length - 1]!.split(" ")[0];
    return `M${firstX} ${height}L${run}L${lastX} ${height}Z`;
  }).join("");
  return (
    <svg
      class="spark"
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      aria-label="GPU and CPU busy over the last minutes"
    >
      <line x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} class="spark-base" />
      {area && <path d={area} class="spark-gpu-area" />}
      {gpu && <path d={gpu} class="spark-gpu" vector-effect="non-scaling-stroke" />}
      {cpu && <path d={cpu} class="spark-cpu" vector-effect="non-scaling-stroke" />}
    </svg>
  );
}

/**
 * Pure formatting for the dashboard: sizes, durations, ages, percentages. No DOM, so it is tested
 * with `deno test` like the rest.
 *
 * @module
 */

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** `1.5 GB`, `512 MB`, `0 B` (decimal units, as Ollama shows sizes); `–` for null. */
export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  let n = Math.abs(value);
  let unit = 0;
  while (n >= 1000 && unit < UNITS.length - 1) {
    n /= 1000;
    unit++;
  }
  const digits = unit === 0 || n >= 100 ? 0 : n >= 10 ? 1 : 2;
  return `${value < 0 ? "-" : ""}${n.toFixed(digits)} ${UNITS[unit]}`;
}

/** `850 ms`, `12.3 s`, `4m 05s`, `3h 12m`, `2d 4h`; `–` for null. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** How long ago `time` was, relative to `now`: `just now`, `5 s ago`, `3m 10s ago`. */
export function ago(time: number | null | undefined, now: number): string {
  if (time === null || time === undefined) return "never";
  const ms = now - time;
  return ms < 1000 ? "just now" : `${duration(ms)} ago`;
}

/** `42 %` from 0-100; `–` for null. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? "–"
    : `${Math.round(value)} %`;
}

/** A local date and time, `2026-11-22 18:04:05`. */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A part of a whole in the whole's unit: `40.9/128 GB`, `1.22/2.00 TB`; `–` when unknown. */
export function bytesOf(
  part: number | null | undefined,
  whole: number | null | undefined,
): string {
  if (part === null || part === undefined || !Number.isFinite(part)) return "–";
  if (whole === null || whole === undefined || !Number.isFinite(whole) || whole <= 0) {
    return bytes(part);
  }
  const [total, unit] = bytes(whole).split(" ");
  const scale = 1000 ** UNITS.indexOf(unit!);
  const n = part / scale;
  const digits = n >= 100 || unit === "B" ? 0 : n >= 10 ? 1 : 2;
  return `${n.toFixed(digits)}/${total} ${unit}`;
}

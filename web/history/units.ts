/**
 * How chart values read: a unit per chart, and two formats for it, one for the tooltip (with the
 * unit) and a shorter one for the axis. Pure.
 *
 * @module
 */

import { bytes, duration } from "../format.ts";

/** A chart's unit. */
export type Unit = "req/min" | "tok/s" | "ms" | "%" | "°C" | "bytes" | "W" | "";

/** `1.2M`, `12k`, `345`, `12.5`, `0.25`: a number in at most about four characters. */
export function shortNumber(value: number): string {
  const n = Math.abs(value);
  const sign = value < 0 ? "-" : "";
  if (n >= 1e9) return `${sign}${trim(n / 1e9, 1)}G`;
  if (n >= 1e6) return `${sign}${trim(n / 1e6, 1)}M`;
  if (n >= 1e4) return `${sign}${trim(n / 1e3, 0)}k`;
  if (n >= 1e3) return `${sign}${trim(n / 1e3, 1)}k`;
  if (n >= 100) return `${sign}${Math.round(n)}`;
  if (n >= 10) return `${sign}${trim(n, 1)}`;
  return `${sign}${trim(n, 2)}`;
}

function trim(n: number, digits: number): string {
  return String(Number(n.toFixed(digits)));
}

/** A value with its unit, for tooltips and totals: `12.5 req/min`, `1.2 GB`, `850 ms`; `–` for none. */
export function formatValue(unit: Unit, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  switch (unit) {
    case "bytes":
      return bytes(value);
    case "ms":
      return duration(value);
    case "%":
      return `${trim(value, value < 10 ? 1 : 0)} %`;
    case "°C":
      return `${Math.round(value)} °C`;
    case "W":
      return `${Math.round(value)} W`;
    case "":
      return shortNumber(value);
    default:
      return `${shortNumber(value)} ${unit}`;
  }
}

const BYTE_UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/** `10 GB`, `2.5 GB`, `0`: decimal units as Ollama shows sizes, without trailing zeros. */
export function shortBytes(value: number): string {
  if (value === 0) return "0";
  let n = Math.abs(value);
  let unit = 0;
  while (n >= 1000 && unit < BYTE_UNITS.length - 1) {
    n /= 1000;
    unit++;
  }
  return `${value < 0 ? "-" : ""}${trim(n, n >= 100 ? 0 : 1)} ${BYTE_UNITS[unit]}`;
}

/** A value as an axis tick: shorter, the unit only where a bare number would mislead. */
export function formatTick(unit: Unit, value: number): string {
  switch (unit) {
    case "bytes":
      return shortBytes(value);
    case "ms":
      return value === 0 ? "0" : duration(value);
    case "%":
      return `${shortNumber(value)}%`;
    case "°C":
      return `${shortNumber(value)}°`;
    case "W":
      return `${shortNumber(value)} W`;
    default:
      return shortNumber(value);
  }
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function day(d: Date): string {
  return `${d.toLocaleString("en", { month: "short" })} ${d.getDate()}`;
}

/**
 * Time-axis labels in local 24-hour time: `14:30` (`14:30:10` for ticks under a minute apart),
 * the date under the first tick and wherever the day changes, and the date alone for ticks a day
 * or more apart.
 *
 * @param splits The ticks, in epoch seconds.
 * @param increment Seconds between ticks.
 */
export function timeTicks(splits: readonly number[], increment: number): string[] {
  let lastDay = "";
  return splits.map((t) => {
    const d = new Date(t * 1000);
    const date = day(d);
    if (increment >= 86_400) return date;
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}` +
      (increment < 60 ? `:${pad(d.getSeconds())}` : "");
    const label = date === lastDay ? time : `${time}\n${date}`;
    lastDay = date;
    return label;
  });
}

/**
 * A log row's time, short: `18:29:35` on the day of `now`, else `Nov 22 18:29:35`.
 *
 * @param ms The time, epoch ms.
 * @param now The current time, epoch ms.
 */
export function logTime(ms: number, now: number): string {
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return day(d) === day(new Date(now)) && Math.abs(now - ms) < 86_400_000
    ? time
    : `${day(d)} ${time}`;
}

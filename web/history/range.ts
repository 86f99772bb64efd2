/**
 * The History page's time range: the presets (last hour … last 7 days) or a custom span, resolved
 * to `from`/`to` in epoch ms, and the bucket width the charts ask the hub for. Pure.
 *
 * @module
 */

/** A preset: the last hour, six hours, day or week. */
export type Preset = "1h" | "6h" | "24h" | "7d";

/** The presets, in the order the picker shows them. */
export const PRESETS: readonly { id: Preset; label: string; long: string; ms: number }[] = [
  { id: "1h", label: "1h", long: "Last hour", ms: 3_600_000 },
  { id: "6h", label: "6h", long: "Last 6 hours", ms: 6 * 3_600_000 },
  { id: "24h", label: "24h", long: "Last 24 hours", ms: 24 * 3_600_000 },
  { id: "7d", label: "7d", long: "Last 7 days", ms: 7 * 86_400_000 },
];

/** What the user picked: a preset that ends now, or a fixed span. */
export type RangeChoice =
  | { kind: "preset"; preset: Preset }
  | { kind: "custom"; from: number; to: number };

/** A span `[from, to)` in epoch ms. */
export interface TimeRange {
  from: number;
  to: number;
}

/** The choice a page opens with: the last 6 hours. */
export const DEFAULT_RANGE: RangeChoice = { kind: "preset", preset: "6h" };

/** Whether `text` names a preset. */
export function isPreset(text: string): text is Preset {
  return PRESETS.some((p) => p.id === text);
}

/** The span a choice means at `now` (epoch ms). */
export function resolveRange(choice: RangeChoice, now: number): TimeRange {
  if (choice.kind === "custom") return { from: choice.from, to: choice.to };
  const preset = PRESETS.find((p) => p.id === choice.preset)!;
  return { from: now - preset.ms, to: now };
}

/** Bucket widths the charts use, in seconds (the hub accepts any of at least 10 s). */
const NICE_STEPS = [
  10,
  30,
  60,
  120,
  300,
  600,
  900,
  1800,
  3600,
  7200,
  10_800,
  21_600,
  43_200,
  86_400,
];

/** About how many buckets a chart gets: enough detail, and smooth lines. */
export const TARGET_POINTS = 200;

/** The raw retention assumed when the hub's is not known. */
export const DEFAULT_RAW_RETENTION_MS = 7 * 86_400_000;

/**
 * The bucket width (seconds) for a chart over `range`: the smallest nice step giving at most
 * {@link TARGET_POINTS} buckets. When the range starts before the raw retention, the step is
 * rounded up to whole hours, so that the hub reads its hourly rollups rather than refusing.
 *
 * @param range The span, in epoch ms.
 * @param options `now` in epoch ms; `rawRetentionMs`, how long the hub keeps raw rows.
 */
export function chooseStep(
  range: TimeRange,
  options: { now: number; rawRetentionMs?: number },
): number {
  const { now, rawRetentionMs = DEFAULT_RAW_RETENTION_MS } = options;
  const span = Math.max(1, range.to - range.from) / 1000;
  let step = NICE_STEPS.find((s) => span / s <= TARGET_POINTS) ??
    Math.ceil(span / TARGET_POINTS / 86_400) * 86_400;
  // A margin of a minute: the hub's clock may be a little ahead of the browser's.
  if (range.from < now - rawRetentionMs + 60_000 && step % 3600 !== 0) {
    step = Math.ceil(step / 3600) * 3600;
  }
  return step;
}

/** A bucket width for people: `30 s`, `5 min`, `1 h`, `1 d`. */
export function stepLabel(step: number): string {
  if (step % 86_400 === 0) return `${step / 86_400} d`;
  if (step % 3600 === 0) return `${step / 3600} h`;
  if (step % 60 === 0) return `${step / 60} min`;
  return `${step} s`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** An epoch-ms time as a `datetime-local` input's value, in the browser's time zone. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (`2026-11-22T14:05`, seconds optional) as epoch ms; `null` if invalid. */
export function fromLocalInput(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((part) => Number(part ?? 0)) as number[];
  const date = new Date(y!, mo! - 1, d!, h!, mi!, s!);
  return date.getMonth() === mo! - 1 && date.getDate() === d! ? date.getTime() : null;
}

/**
 * Checks a custom span typed by the user.
 *
 * @returns The span, or a sentence saying what is wrong with it.
 */
export function checkCustom(
  fromText: string,
  toText: string,
): TimeRange | { error: string } {
  const from = fromLocalInput(fromText);
  const to = fromLocalInput(toText);
  if (from === null) return { error: "Enter a start date and time" };
  if (to === null) return { error: "Enter an end date and time" };
  if (from >= to) return { error: "The start must be before the end" };
  if (to - from > 400 * 86_400_000) return { error: "A range can span at most 400 days" };
  return { from, to };
}

/** What the picker says a choice is: `Last 6 hours`, or `Nov 22 10:00 → Nov 22 14:30`. */
export function rangeLabel(choice: RangeChoice): string {
  if (choice.kind === "preset") return PRESETS.find((p) => p.id === choice.preset)!.long;
  const short = (ms: number) => {
    const d = new Date(ms);
    const month = d.toLocaleString("en", { month: "short" });
    return `${month} ${d.getDate()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  };
  return `${short(choice.from)} → ${short(choice.to)}`;
}

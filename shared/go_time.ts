/**
 * Timestamps as Ollama writes them: Go's RFC 3339 with up to nine fractional digits, trailing zeros
 * trimmed (`time.RFC3339Nano`).
 *
 * @module
 */

/** Options for {@link formatGoTime}. */
export interface GoTimeOptions {
  /**
   * Write UTC with `Z` (as Ollama does for `created_at`) rather than the local offset (as for
   * `modified_at` and `expires_at`).
   * @default false
   */
  utc?: boolean;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * Formats a time the way Go's `time.Time.MarshalJSON` does.
 *
 * @param epochMs Milliseconds since the epoch, fractions kept down to the nanosecond; may lie far
 *   in the future (a "forever" keep_alive).
 * @param options See {@link GoTimeOptions}.
 * @returns e.g. `2026-08-21T10:00:00.123456789Z` or `2026-08-21T12:00:00.5+02:00`.
 * @example
 * ```ts
 * formatGoTime(Date.UTC(2026, 7, 21, 10), { utc: true }); // "2026-08-21T10:00:00Z"
 * ```
 */
export function formatGoTime(epochMs: number, options: GoTimeOptions = {}): string {
  const { utc = false } = options;
  const whole = Math.floor(epochMs);
  const date = new Date(whole);
  const offsetMin = utc ? 0 : -date.getTimezoneOffset();
  const local = new Date(whole + offsetMin * 60_000);
  const nanos = (whole - Math.floor(whole / 1000) * 1000) * 1_000_000 +
    Math.min(999_999, Math.round((epochMs - whole) * 1e6));
  const fraction = nanos === 0 ? "" : "." + pad(nanos, 9).replace(/0+$/, "");
  const zone = offsetMin === 0
    ? "Z"
    : `${offsetMin > 0 ? "+" : "-"}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${
      pad(Math.abs(offsetMin) % 60)
    }`;
  return `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${
    pad(local.getUTCDate())
  }T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${
    pad(local.getUTCSeconds())
  }${fraction}${zone}`;
}

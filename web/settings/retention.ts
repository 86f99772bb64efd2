/**
 * How the Settings page reads the hub's history settings: spans in words, and the configuration
 * keys that change them. Pure.
 *
 * @module
 */

/** A span as people say it: `7 days`, `36 hours`, `90 minutes`, `10 seconds`, `1.5 seconds`. */
export function spanText(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
    [1000, "second"],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(1))} seconds`;
  return `${ms} ms`;
}

/** The history settings the page shows, with the `hub.yaml` key (and flag) that sets each. */
export const HISTORY_KEYS: readonly {
  field: "retentionMs" | "rollupRetentionMs" | "sampleIntervalMs";
  label: string;
  key: string;
  flag?: string;
  about: string;
}[] = [
  {
    field: "sampleIntervalMs",
    label: "Sample interval",
    key: "history.sample_interval",
    flag: "--sample-interval",
    about: "how often each host's metrics and state are recorded",
  },
  {
    field: "retentionMs",
    label: "Raw retention",
    key: "history.retention",
    about: "requests, samples and events, row by row",
  },
  {
    field: "rollupRetentionMs",
    label: "Rollup retention",
    key: "history.rollup_retention",
    about: "hourly summaries, used for longer ranges",
  },
];

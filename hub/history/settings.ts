/**
 * The history settings, part of the hub's configuration (`hub/config.ts` spreads
 * {@link HISTORY_FIELDS} into its own): where the database is, how often hosts are sampled, how
 * long rows are kept, and how much is buffered while the database is away.
 *
 * @module
 */

import {
  boolean,
  duration,
  type Field,
  integer,
  Invalid,
  text,
} from "../../shared/config_fields.ts";
import { parseGoDuration } from "../../shared/duration.ts";

/** History, resolved. */
export interface HistoryConfig {
  /** Record history at all (`--no-history` turns it off: no database is opened). */
  enabled: boolean;
  /** A PostgreSQL URL; `null` means the embedded PGlite in {@link dataDir}. Never logged. */
  databaseUrl: string | null;
  /** Where the embedded database lives. */
  dataDir: string;
  sampleIntervalMs: number;
  /** How long raw rows are kept. */
  rawRetentionMs: number;
  /** How long hourly rollups are kept. */
  rollupRetentionMs: number;
  /** Rows kept per table while the database is unreachable. */
  bufferRows: number;
}

const DAY_MS = 86_400_000;

/** How long raw rows are kept unless `history.retention` says otherwise. */
export const DEFAULT_RAW_RETENTION_MS = 7 * DAY_MS;

/** A PostgreSQL URL. The value is a secret: messages never repeat it. */
function databaseUrl(value: unknown): string {
  if (typeof value !== "string") throw new Invalid("must be a string");
  let parsed: URL;
  try {
    parsed = new URL(value.trim());
  } catch {
    throw new Invalid("must be a URL such as postgres://user:password@host:5432/corral");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new Invalid(`must start with postgres:// or postgresql://, not ${parsed.protocol}//`);
  }
  return value.trim();
}

/** A retention: days (`7d`), a Go duration (`36h`), or a number of days. */
function retention(minMs: number) {
  return (value: unknown): number => {
    const days = typeof value === "number" ? value : /^(\d+(?:\.\d+)?)d$/.exec(String(value))?.[1];
    let ms: number;
    try {
      ms = days !== undefined ? Number(days) * DAY_MS : parseGoDuration(text(value));
    } catch {
      throw new Invalid(
        `must be a number of days ("7d") or a duration ("36h"), not ${JSON.stringify(value)}`,
      );
    }
    if (!(ms >= minMs) || !Number.isFinite(ms)) {
      throw new Invalid(`must be at least ${minMs / 3_600_000} h, not ${JSON.stringify(value)}`);
    }
    return ms;
  };
}

/** The flags history adds to the hub's. */
export type HistoryFlag = "db" | "data-dir" | "no-history" | "sample-interval";

/** The history fields, for `resolveFields`. */
export const HISTORY_FIELDS = {
  historyEnabled: {
    yaml: "history.enabled",
    env: "CORRAL_HISTORY",
    flag: "no-history",
    fromFlag: (given) => given !== true,
    parse: boolean,
  },
  databaseUrl: { yaml: "database_url", env: "DATABASE_URL", flag: "db", parse: databaseUrl },
  dataDir: { yaml: "data_dir", env: "CORRAL_DATA_DIR", flag: "data-dir", parse: text },
  sampleIntervalMs: {
    yaml: "history.sample_interval",
    env: "CORRAL_SAMPLE_INTERVAL",
    flag: "sample-interval",
    parse: duration(1000),
  },
  rawRetentionMs: {
    yaml: "history.retention",
    env: "CORRAL_RETENTION",
    parse: retention(3_600_000),
  },
  rollupRetentionMs: {
    yaml: "history.rollup_retention",
    env: "CORRAL_ROLLUP_RETENTION",
    parse: retention(DAY_MS),
  },
  bufferRows: {
    yaml: "history.buffer_rows",
    env: "CORRAL_HISTORY_BUFFER",
    parse: integer(100, 10_000_000),
  },
} satisfies Record<string, Field<unknown, HistoryFlag>>;

/** The help lines for the history flags. */
export const HISTORY_HELP =
  `  --db URL                    PostgreSQL for history (better: DATABASE_URL, which ps cannot
                              show); without it, an embedded PGlite in --data-dir
  --data-dir DIR              the embedded database's directory (default ./data)
  --sample-interval D         how often each host's metrics are recorded (default 10s)
  --no-history                record nothing and open no database`;

/** Settles the history settings from what was resolved; `problems` gets anything inconsistent. */
export function historyConfig(
  values: {
    historyEnabled?: boolean;
    databaseUrl?: string;
    dataDir?: string;
    sampleIntervalMs?: number;
    rawRetentionMs?: number;
    rollupRetentionMs?: number;
    bufferRows?: number;
  },
  problems: string[],
): HistoryConfig {
  const config: HistoryConfig = {
    enabled: values.historyEnabled ?? true,
    databaseUrl: values.databaseUrl ?? null,
    dataDir: values.dataDir ?? "./data",
    sampleIntervalMs: values.sampleIntervalMs ?? 10_000,
    rawRetentionMs: values.rawRetentionMs ?? DEFAULT_RAW_RETENTION_MS,
    rollupRetentionMs: values.rollupRetentionMs ?? 90 * DAY_MS,
    bufferRows: values.bufferRows ?? 50_000,
  };
  if (config.rollupRetentionMs < config.rawRetentionMs) {
    problems.push("history.rollup_retention must be at least history.retention");
  }
  return config;
}

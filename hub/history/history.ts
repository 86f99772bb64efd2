/**
 * History, assembled: the database (PostgreSQL or the embedded PGlite), its migrations, the
 * batching writer, the recorder that turns the registry's events and samples into rows, the
 * retention job, and the request log's entry point. `hub.ts` starts one per hub unless history is
 * turned off.
 *
 * Only opening the embedded database can stop the hub from starting (its directory is locked by
 * another hub, or unusable). A PostgreSQL that is down at start is not an error: the hub serves,
 * buffers, and migrates and writes once the database answers.
 *
 * @module
 */

import type { InFlightTable } from "../in_flight.ts";
import type { Logger } from "../log.ts";
import type { Registry } from "../registry.ts";
import type { Db } from "./db.ts";
import { migrate } from "./migrate.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";
import { type Recorder, startRecorder } from "./recorder.ts";
import { type RetentionJob, startRetention } from "./retention.ts";
import type { HistoryConfig } from "./settings.ts";
import type { RequestLogRow } from "./tables.ts";
import { HistoryWriter, type WriterHealth } from "./writer.ts";

/** A running history store. */
export interface History {
  db: Db;
  /** True once the schema is in place: the history API can answer. */
  ready(): boolean;
  health(): WriterHealth;
  /** Queues one request's row. */
  logRequest(row: RequestLogRow): void;
  /** Samples every host now, beside the regular interval (tests and benchmarks). */
  sample(): void;
  /** Writes what is queued now. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** What history records from. */
export interface HistoryDeps {
  registry: Registry;
  inFlight: InFlightTable;
  log: Logger;
}

/** Opens the database and starts recording. */
export async function startHistory(config: HistoryConfig, deps: HistoryDeps): Promise<History> {
  const { log } = deps;
  const db = config.databaseUrl
    ? openPostgres(config.databaseUrl)
    : await openPglite(config.dataDir);
  let ready = false;
  let retention: RetentionJob | null = null;

  const writer = new HistoryWriter({
    db,
    bound: config.bufferRows,
    log,
    async prepare(db) {
      const applied = await migrate(db);
      if (applied.length > 0) {
        log.info(`history: ${db.where} migrated to schema version ${applied.at(-1)}`);
      }
      ready = true;
      retention = startRetention({
        db,
        rawRetentionMs: config.rawRetentionMs,
        rollupRetentionMs: config.rollupRetentionMs,
        log,
      });
    },
  });
  const recorder: Recorder = startRecorder({
    registry: deps.registry,
    inFlight: deps.inFlight,
    writer,
    sampleIntervalMs: config.sampleIntervalMs,
  });
  writer.start();
  const first = writer.flush();
  // The embedded database is local: have the schema in place before the hub says it is up.
  if (db.backend === "pglite") await first;
  log.info(`history: recording to ${db.where}`);

  return {
    db,
    ready: () => ready,
    health: () => writer.health(),
    logRequest: (row) => writer.append("request_logs", row),
    sample: () => recorder.sample(),
    flush: () => writer.flush(),
    async stop() {
      recorder.stop();
      await retention?.stop();
      await writer.stop();
      await db.close();
    },
  };
}

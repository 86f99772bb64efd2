/**
 * Writes history in batches, off the hot path. Producers (the request log, the recorder) append
 * rows and return at once; a flush every second (or as soon as a table has a full batch) writes
 * each table's rows with one statement per batch.
 *
 * When the database cannot be reached, rows stay queued, up to a bound per table past which the
 * oldest are dropped and counted; writes are retried with a growing pause, and everything still
 * queued is written when the database answers again. The outage, what was dropped, and the
 * recovery are logged and reported by {@link HistoryWriter.health}. A row the database refuses
 * (a constraint, a bad value) would be refused forever: it is dropped, counted and logged, and the
 * rest of its batch is written.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import { type Db, isTransient } from "./db.ts";
import { RowQueue } from "./row_queue.ts";
import { INSERT, type Rows, type ServerRow, type TableName, TABLES } from "./tables.ts";

/** How the history store is doing, for `/healthz` and the dashboard. */
export interface WriterHealth {
  /** `connecting` until the schema is in place, `down` while writes fail. */
  state: "connecting" | "ok" | "down";
  backend: Db["backend"];
  where: string;
  /** Rows waiting to be written. */
  buffered: number;
  /** Rows written since the hub started. */
  written: number;
  /** Rows dropped because the buffer was full. */
  dropped: number;
  /** Rows the database refused. */
  rejected: number;
  lastError: string | null;
  /** When writes started failing (ms since the epoch), while they do. */
  downSince: number | null;
  /** The latest outage that ended: when, and how many rows it cost. */
  lastOutage: { start: number; end: number; dropped: number } | null;
}

/** How the writer is set up. */
export interface WriterOptions {
  db: Db;
  /** Run once before the first write, and again after each failure until it succeeds (migrations). */
  prepare?: (db: Db) => Promise<unknown>;
  /** Rows kept per table while the database is away. @default 50_000 */
  bound?: number;
  /**
   * Rows per statement. Each batch is serialised on the event loop (about 10 µs a row), so a
   * smaller batch keeps routing from waiting behind it. @default 250
   */
  batch?: number;
  /** Time between flushes. @default 1000 */
  intervalMs?: number;
  /** Longest pause between attempts while the database is away. @default 15_000 */
  maxBackoffMs?: number;
  log: Logger;
  /** @default Date.now */
  now?: () => number;
}

type Appendable = Exclude<TableName, "servers">;

/** The batching, buffering writer. */
export class HistoryWriter {
  readonly #db: Db;
  readonly #prepare: ((db: Db) => Promise<unknown>) | null;
  readonly #batch: number;
  readonly #intervalMs: number;
  readonly #maxBackoffMs: number;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #queues: { [T in Appendable]: RowQueue<Rows[T]> };
  /** The newest row per server, written as an upsert. */
  #servers = new Map<string, ServerRow>();
  #prepared = false;
  #flushing: Promise<void> | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #retryAt = 0;
  #backoffMs = 0;
  #health: Omit<WriterHealth, "buffered" | "backend" | "where">;
  /** What was dropped since the outage began, to report on recovery. */
  #droppedAtDown = 0;
  #dropWarned = false;

  constructor(options: WriterOptions) {
    this.#db = options.db;
    this.#prepare = options.prepare ?? null;
    this.#batch = options.batch ?? 250;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 15_000;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    const bound = options.bound ?? 50_000;
    this.#queues = {
      server_events: new RowQueue(bound),
      model_events: new RowQueue(bound),
      server_snapshots: new RowQueue(bound),
      system_metrics: new RowQueue(bound),
      gpu_metrics: new RowQueue(bound),
      request_logs: new RowQueue(bound),
    };
    this.#health = {
      state: "connecting",
      written: 0,
      dropped: 0,
      rejected: 0,
      lastError: null,
      downSince: null,
      lastOutage: null,
    };
  }

  /** Queues a row; never waits and never throws. */
  append<T extends Appendable>(table: T, row: Rows[T]): void {
    const queue = this.#queues[table] as RowQueue<Rows[T]>;
    if (queue.push(row) > 0) {
      this.#health.dropped++;
      if (!this.#dropWarned) {
        this.#dropWarned = true;
        this.#log.warn(
          `history: ${table} buffer is full (${queue.bound} rows); dropping the oldest rows ` +
            `until the database is back`,
        );
      }
    }
    if (queue.length >= this.#batch && !this.#flushing && this.#now() >= this.#retryAt) {
      queueMicrotask(() => void this.flush());
    }
  }

  /** Records a server as it is now; only the newest row per server is written. */
  upsertServer(row: ServerRow): void {
    this.#servers.set(row.id, row);
  }

  /** Rows waiting. */
  get buffered(): number {
    let total = this.#servers.size;
    for (const queue of Object.values(this.#queues)) total += queue.length;
    return total;
  }

  health(): WriterHealth {
    return {
      ...this.#health,
      backend: this.#db.backend,
      where: this.#db.where,
      buffered: this.buffered,
    };
  }

  /** Flushes every `intervalMs` until {@link stop}. */
  start(): void {
    this.#timer ??= setInterval(() => {
      if (this.#now() >= this.#retryAt) void this.flush();
    }, this.#intervalMs);
  }

  /** Writes everything queued (one pass); concurrent calls share the pass in progress. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushAll().finally(() => this.#flushing = null);
    return this.#flushing;
  }

  /** Stops the timer and makes a last attempt to write what is queued, for up to `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#flushing) await this.#flushing;
    if (this.buffered === 0 || this.#health.state === "down") return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
    await Promise.race([this.flush(), timeout]);
    clearTimeout(timer);
  }

  async #flushAll(): Promise<void> {
    try {
      if (!this.#prepared) {
        if (this.#prepare) await this.#prepare(this.#db);
        this.#prepared = true;
      }
      await this.#writeServers();
      for (const table of TABLES) {
        if (table === "servers") continue;
        const queue = this.#queues[table] as RowQueue<unknown>;
        while (queue.length > 0) {
          const { from, rows } = queue.peek(this.#batch);
          await this.#write(table, rows);
          queue.ack(from, rows.length);
        }
      }
      this.#up();
    } catch (error) {
      this.#down(error);
    }
  }

  /**
   * Writes one batch. When the database refuses it, each row is tried alone, so that one bad row
   * costs only itself; an unreachable database throws, to keep the rows queued.
   */
  async #write(table: TableName, rows: unknown[]): Promise<void> {
    try {
      await this.#db.query(INSERT[table], [rows]);
      this.#health.written += rows.length;
      return;
    } catch (error) {
      if (isTransient(error)) throw error;
      if (rows.length === 1) return this.#reject(table, 1, 1, error);
    }
    let refused = 0;
    let first: unknown = null;
    for (const row of rows) {
      try {
        await this.#db.query(INSERT[table], [[row]]);
        this.#health.written++;
      } catch (error) {
        if (isTransient(error)) throw error;
        refused++;
        first ??= error;
      }
    }
    if (refused > 0) this.#reject(table, refused, rows.length, first);
  }

  async #writeServers(): Promise<void> {
    if (this.#servers.size === 0) return;
    const rows = [...this.#servers.values()];
    await this.#write("servers", rows);
    // Keep a server whose row changed while this one was being written.
    for (const row of rows) if (this.#servers.get(row.id) === row) this.#servers.delete(row.id);
  }

  #reject(table: TableName, count: number, of: number, error: unknown): void {
    this.#health.rejected += count;
    this.#log.error(
      `history: the database refused ${count} of ${of} ${table} rows; they are dropped: ` +
        message(error),
    );
  }

  #up(): void {
    const { downSince } = this.#health;
    if (this.#health.state === "down" && downSince !== null) {
      const seconds = ((this.#now() - downSince) / 1000).toFixed(1);
      const dropped = this.#health.dropped - this.#droppedAtDown;
      this.#health.lastOutage = { start: downSince, end: this.#now(), dropped };
      this.#log.info(
        `history: ${this.#db.where} is back after ${seconds} s; buffered rows are written` +
          (dropped > 0 ? `, ${dropped} rows were dropped while it was away` : ", none lost"),
      );
    }
    this.#health.state = "ok";
    this.#health.downSince = null;
    this.#health.lastError = null;
    this.#backoffMs = 0;
    this.#retryAt = 0;
    this.#dropWarned = false;
  }

  #down(error: unknown): void {
    const text = message(error);
    if (this.#health.state !== "down") {
      this.#health.downSince = this.#now();
      this.#droppedAtDown = this.#health.dropped;
      this.#log.warn(
        `history: cannot write to ${this.#db.where}: ${text}; requests are not affected, ` +
          `rows are kept (up to ${this.#queues.request_logs.bound} per table) until it is back`,
      );
    }
    this.#health.state = "down";
    this.#health.lastError = text;
    this.#backoffMs = Math.min(this.#maxBackoffMs, Math.max(this.#intervalMs, this.#backoffMs * 2));
    this.#retryAt = this.#now() + this.#backoffMs;
  }
}

function message(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string };
  const text = message ?? String(error);
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

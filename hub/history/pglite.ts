/**
 * History in an embedded PGlite, for hubs with no PostgreSQL to point at. The database lives in a
 * directory (`<data_dir>/pglite`) and runs in a worker (`pglite_worker.ts`) so that its queries
 * stay off the hub's event loop. PGlite has no lock of its own, and two processes writing one
 * directory would corrupt it, so the hub holds an exclusive lock on `<data_dir>/hub.lock` for as
 * long as the database is open; the kernel drops it when the process dies, so a crash leaves no
 * stale lock behind.
 *
 * @module
 */

import type { Db, Queryable, Row } from "./db.ts";

/** What can be asked of the worker. */
type Operation =
  | { op: "open"; dataDir: string }
  | { op: "query"; text: string; params: readonly unknown[]; tx?: number }
  | { op: "exec"; text: string; tx?: number }
  | { op: "begin" }
  | { op: "end"; tx: number; commit: boolean }
  | { op: "close" };

/** A message to the worker: an operation and the id its reply will carry. */
export type WorkerRequest = { id: number } & Operation;

/** The worker's answer to one message. */
export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; message: string; code?: string };

/** An error from the embedded database, with PostgreSQL's SQLSTATE when it gave one. */
export class EmbeddedDbError extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
    this.name = "EmbeddedDbError";
  }
}

/** Another process (or another hub in this one) has the data directory open. */
export class DataDirLockedError extends Error {
  constructor(dir: string, holder: string) {
    super(
      `the embedded database in ${dir} is in use by another hub (${holder}); stop it, or give ` +
        `this hub its own --data-dir, or a PostgreSQL with --db`,
    );
    this.name = "DataDirLockedError";
  }
}

async function takeLock(dir: string): Promise<Deno.FsFile> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/hub.lock`;
  const file = await Deno.open(path, { read: true, write: true, create: true });
  if (!(await file.tryLock(true))) {
    file.close();
    const holder = (await Deno.readTextFile(path).catch(() => "")).trim();
    throw new DataDirLockedError(dir, holder || "unknown process");
  }
  await file.truncate(0);
  await file.write(new TextEncoder().encode(`pid ${Deno.pid} on ${Deno.hostname()}\n`));
  return file;
}

/** Opens (creating when needed) the embedded database under `dir`. */
export async function openPglite(dir: string): Promise<Db> {
  const lock = await takeLock(dir);
  const worker = new Worker(new URL("./pglite_worker.ts", import.meta.url), { type: "module" });
  const pending = new Map<number, PromiseWithResolvers<unknown>>();
  let nextId = 1;
  let broken: Error | null = null;

  worker.onmessage = (event: MessageEvent<WorkerReply>) => {
    const reply = event.data;
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(new EmbeddedDbError(reply.message, reply.code));
  };
  worker.onerror = (event) => {
    event.preventDefault();
    broken = new Error(`the embedded database stopped: ${event.message}`);
    for (const waiter of pending.values()) waiter.reject(broken);
    pending.clear();
  };

  const call = (message: Operation): Promise<unknown> => {
    if (broken) return Promise.reject(broken);
    const id = nextId++;
    const waiter = Promise.withResolvers<unknown>();
    pending.set(id, waiter);
    worker.postMessage({ ...message, id });
    return waiter.promise;
  };

  const queryable = (tx?: number): Queryable => ({
    async query<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      return await call({ op: "query", text, params, tx }) as T[];
    },
    async exec(text: string): Promise<void> {
      await call({ op: "exec", text, tx });
    },
  });

  try {
    await call({ op: "open", dataDir: `${dir}/pglite` });
  } catch (error) {
    worker.terminate();
    lock.close();
    throw error;
  }

  let closed = false;
  return {
    backend: "pglite",
    where: `embedded PGlite in ${dir}`,
    ...queryable(),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const tx = await call({ op: "begin" }) as number;
      let result: T;
      try {
        result = await fn(queryable(tx));
      } catch (error) {
        await call({ op: "end", tx, commit: false }).catch(() => {});
        throw error;
      }
      await call({ op: "end", tx, commit: true });
      return result;
    },
    async close() {
      if (closed) return;
      closed = true;
      await call({ op: "close" }).catch(() => {});
      worker.terminate();
      lock.close();
    },
  };
}

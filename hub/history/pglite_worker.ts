/**
 * The embedded database's own thread. PGlite is PostgreSQL compiled to WebAssembly and runs its
 * queries synchronously on whichever thread owns it; here that is this worker, so the hub's event
 * loop (and so its routing) never waits for a query. `pglite.ts` is the other end.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { WorkerReply, WorkerRequest } from "./pglite.ts";

let db: PGlite | null = null;
let nextTx = 1;
/** An open transaction: its handle, how to end it, and what settles once it has ended. */
interface OpenTransaction {
  tx: Transaction;
  done: (commit: boolean) => void;
  finished: Promise<void>;
}
const transactions = new Map<number, OpenTransaction>();

/** How a transaction the caller abandoned ends; not an error to report. */
class RolledBack extends Error {}

function target(tx: number | undefined): PGlite | Transaction {
  if (tx === undefined) {
    if (!db) throw new Error("the embedded database is not open");
    return db;
  }
  const open = transactions.get(tx);
  if (!open) throw new Error(`no open transaction ${tx}`);
  return open.tx;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case "open":
      db = await PGlite.create({
        dataDir: request.dataDir,
        parsers: { 20: Number, 1700: Number },
        // PostgreSQL's 128 MB buffer pool would sit in the hub's memory on top of the WebAssembly
        // instance; the operating system caches the data directory anyway (BENCHMARKS.md).
        startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"],
      });
      return null;
    case "query":
      return (await target(request.tx).query(request.text, request.params as unknown[])).rows;
    case "exec":
      await target(request.tx).exec(request.text);
      return null;
    case "begin": {
      if (!db) throw new Error("the embedded database is not open");
      const id = nextTx++;
      // PGlite holds the transaction open until the callback settles; its other queries wait.
      const { promise: started, resolve } = Promise.withResolvers<void>();
      const finished = db.transaction((tx) =>
        new Promise<void>((commit, rollback) => {
          transactions.set(id, {
            tx,
            done: (ok) => ok ? commit() : rollback(new RolledBack()),
            finished: Promise.resolve(),
          });
          resolve();
        })
      );
      finished.catch(() => {});
      await Promise.race([started, finished]);
      const open = transactions.get(id);
      if (!open) throw new Error("the transaction did not start");
      open.finished = finished.finally(() => transactions.delete(id));
      return id;
    }
    case "end": {
      const open = transactions.get(request.tx);
      if (!open) throw new Error(`no open transaction ${request.tx}`);
      open.done(request.commit);
      // Answer once COMMIT (or ROLLBACK) has run; a failed COMMIT is the caller's error.
      try {
        await open.finished;
      } catch (error) {
        if (!(error instanceof RolledBack)) throw error;
      }
      return null;
    }
    case "close":
      await db?.close();
      db = null;
      return null;
  }
}

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  let reply: WorkerReply;
  try {
    reply = { id: request.id, ok: true, result: await handle(request) };
  } catch (error) {
    const { message, code } = error as { message?: string; code?: string };
    reply = { id: request.id, ok: false, message: message ?? String(error), code };
  }
  self.postMessage(reply);
};

/**
 * Keeps the data plane's {@link Keyring} in step with the `api_keys` table: the configuration's
 * keys plus every key not revoked, reloaded right after a key is made or revoked on this hub and
 * every 30 s (for keys changed by other hubs sharing the PostgreSQL). Requests are checked
 * against memory only. When keys were used is noted in memory and written in one statement a
 * minute, off the request path.
 *
 * @module
 */

import type { ApiKeyEntry, Keyring } from "../auth.ts";
import type { Queryable } from "../history/db.ts";
import type { Logger } from "../log.ts";
import { activeApiKeys, markUsed } from "./api_keys.ts";

/** Options for {@link KeyStore}. */
export interface KeyStoreOptions {
  db: Queryable;
  /** The data plane's keyring; `null` when the API is open (keys are then only managed). */
  keyring: Keyring | null;
  /** The configuration's keys, always in the keyring. */
  configKeys: readonly ApiKeyEntry[];
  log: Logger;
  /** @default Date.now */
  now?: () => number;
}

/** The bridge between the `api_keys` table and the keyring. */
export class KeyStore {
  #db: Queryable;
  #keyring: Keyring | null;
  #configKeys: readonly ApiKeyEntry[];
  #log: Logger;
  #now: () => number;
  #used = new Set<number>();
  #dbKeys: ApiKeyEntry[] = [];
  #started = 0;
  #applied = 0;

  constructor(options: KeyStoreOptions) {
    this.#db = options.db;
    this.#keyring = options.keyring;
    this.#configKeys = options.configKeys;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#keyring?.onUse((key) => {
      if (key.id !== undefined) this.#used.add(key.id);
    });
  }

  /**
   * Reloads the keyring from the table. Of reloads that overlap, the one started last wins, so
   * an older read can never bring back a key revoked since.
   */
  async refresh(): Promise<void> {
    if (!this.#keyring) return;
    const run = ++this.#started;
    const keys = await activeApiKeys(this.#db);
    if (run < this.#applied) return;
    this.#applied = run;
    this.#apply(keys);
  }

  /** Drops a revoked key from the keyring now, whatever reloads are under way. */
  forget(id: number): void {
    this.#applied = ++this.#started;
    this.#apply(this.#dbKeys.filter((k) => k.id !== id));
  }

  #apply(keys: ApiKeyEntry[]): void {
    this.#dbKeys = keys;
    this.#keyring?.replace([...this.#configKeys, ...keys]);
  }

  /** Writes when the keys used since the last write were used; kept for next time on failure. */
  async flushUsage(): Promise<void> {
    if (this.#used.size === 0) return;
    const ids = [...this.#used];
    this.#used.clear();
    try {
      await markUsed(this.#db, ids, this.#now());
    } catch (error) {
      for (const id of ids) this.#used.add(id);
      this.#log.warn(`accounts: cannot note API key use: ${(error as Error).message}`);
    }
  }

  /** Stops noting uses. */
  detach(): void {
    this.#keyring?.onUse(null);
  }
}

/**
 * The hosts history knows: resolving a `host` filter (an id, or a name several hosts may have
 * had), naming host ids, listing every host, and the facets (models, hosts, keys) the dashboard's
 * filters offer for a range. The same SQL runs on PostgreSQL and on PGlite.
 *
 * @module
 */

import { FleetError } from "../../shared/errors.ts";
import type { Queryable } from "./db.ts";
import type { TimeRange } from "./params.ts";
import { inWindow, ms, Params } from "./query_sql.ts";
import type { Facets, HistoryHost, HostRef } from "../../shared/history_api.ts";

/**
 * Finds the hosts a `host` filter means: the host with that id, else every host that has (or had)
 * that name, most recently seen first (a reinstalled machine keeps its name, not its id).
 *
 * @throws {FleetError} `NOT_FOUND` (404) when no host has that id or name.
 */
export async function resolveHosts(db: Queryable, host: string): Promise<HostRef[]> {
  const rows = await db.query<HostRef>(
    "SELECT id, name FROM servers WHERE id = $1 OR name = $1 ORDER BY (id = $1) DESC, last_seen DESC",
    [host],
  );
  if (rows.length === 0) throw new FleetError("NOT_FOUND", `No host "${host}" in history`, 404);
  const byId = rows.filter((r) => r.id === host);
  return byId.length > 0 ? byId : rows;
}

/** The names of the hosts with these ids; an id no host has is left out. */
export async function hostNames(
  db: Queryable,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.query<HostRef>("SELECT id, name FROM servers WHERE id = ANY($1::text[])", [
    ids,
  ]);
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Every host any hub has seen, by name. */
export async function hosts(db: Queryable): Promise<HistoryHost[]> {
  const rows = await db.query("SELECT * FROM servers ORDER BY name, id");
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    kind: r.kind as HistoryHost["kind"],
    url: String(r.url),
    status: String(r.status),
    hostname: r.hostname as string | null,
    os: r.os as string | null,
    kernel: r.kernel as string | null,
    arch: r.arch as string | null,
    cpuModel: r.cpu_model as string | null,
    bootId: r.boot_id as string | null,
    agentVersion: r.agent_version as string | null,
    ollamaVersion: r.ollama_version as string | null,
    gpus: r.gpus as unknown[],
    firstSeen: ms(r.first_seen),
    lastSeen: ms(r.last_seen),
  }));
}

/**
 * The models, hosts and keys that requests in the range mention, from the request log and (for
 * hours older than the raw retention) the hourly rollups.
 */
export async function facets(db: Queryable, range: TimeRange): Promise<Facets> {
  const p = new Params();
  const raw = inWindow(p, "raw", range);
  const rollup = inWindow(p, "rollup", range);
  const rows = await db.query<{ kind: string; value: string }>(
    `WITH seen AS (
        SELECT model, server_id, api_key FROM request_logs WHERE ${raw}
        UNION ALL
        SELECT NULLIF(model, ''), NULLIF(server_id, ''), NULLIF(api_key, '')
          FROM request_rollups WHERE ${rollup})
      SELECT DISTINCT f.kind, f.value FROM seen
        CROSS JOIN LATERAL (VALUES ('model', model), ('host', server_id), ('key', api_key))
          AS f(kind, value)
      WHERE f.value IS NOT NULL`,
    p.values,
  );
  const of = (kind: string) =>
    rows.filter((r) => r.kind === kind).map((r) => r.value).sort((a, b) => a.localeCompare(b));
  const names = await hostNames(db, of("host"));
  return {
    models: of("model"),
    hosts: of("host").map((id) => ({ id, name: names.get(id) ?? id }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
    keys: of("key"),
  };
}

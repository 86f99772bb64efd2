/**
 * The event and request logs as pages, newest first, paged on `(time, id)` with an opaque cursor
 * (`params.ts`): model events, host events, the request log, and one request by id. The same SQL
 * runs on PostgreSQL and on PGlite.
 *
 * @module
 */

import { FleetError } from "../../shared/errors.ts";
import type { Queryable, Row } from "./db.ts";
import { resolveHosts } from "./host_queries.ts";
import { type Cursor, encodeCursor, type StatusFilter, type TimeRange } from "./params.ts";
import { ms, Params } from "./query_sql.ts";
import type {
  HostRef,
  ModelEventKind,
  ModelEventPage,
  RequestPage,
  RequestView,
  ServerEventKind,
  ServerEventPage,
} from "../../shared/history_api.ts";

/** Which page of a newest-first list to read. */
export interface PageOptions {
  range: TimeRange;
  /** @default 100 */
  limit?: number;
  /** The previous page's `next`, decoded; absent for the first page. */
  cursor?: Cursor;
}

/** SQL that gives each row's exact time as the cursor needs it (microseconds kept). */
const CURSOR_TIME = `to_char(x.time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The conditions every page shares: the range, and what comes after the cursor. */
function pageWhere(p: Params, options: PageOptions): string[] {
  const where = [`x.time >= ${p.time(options.range.from)}`, `x.time < ${p.time(options.range.to)}`];
  if (options.cursor) {
    where.push(
      `(x.time, x.id) < (${p.add(options.cursor.time)}::text::timestamptz, ` +
        `${p.add(options.cursor.id)}::uuid)`,
    );
  }
  return where;
}

async function readPage<T>(
  db: Queryable,
  query: { table: string; where: string[]; p: Params; limit: number },
  view: (row: Row) => T,
): Promise<{ items: T[]; next: string | null }> {
  const { table, where, p, limit } = query;
  const rows = await db.query(
    `SELECT x.*, s.name AS server_name, ${CURSOR_TIME} AS cursor_time FROM ${table} x
      LEFT JOIN servers s ON s.id = x.server_id
      WHERE ${where.join(" AND ")} ORDER BY x.time DESC, x.id DESC LIMIT ${limit + 1}`,
    p.values,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const next = rows.length > limit && last
    ? encodeCursor({ time: String(last.cursor_time), id: String(last.id) })
    : null;
  return { items: page.map(view), next };
}

function hostOf(row: Row): HostRef {
  return { id: String(row.server_id), name: String(row.server_name ?? row.server_id) };
}

async function hostCondition(db: Queryable, p: Params, host: string | undefined) {
  if (host === undefined) return [];
  const ids = (await resolveHosts(db, host)).map((h) => h.id);
  return [`x.server_id = ANY(${p.add(ids)}::text[])`];
}

/** What {@link modelEvents} reads. */
export interface ModelEventOptions extends PageOptions {
  host?: string;
  model?: string;
  event?: readonly ModelEventKind[];
}

/** Models loaded, unloaded, added and removed, newest first. */
export async function modelEvents(
  db: Queryable,
  options: ModelEventOptions,
): Promise<ModelEventPage> {
  const p = new Params();
  const where = pageWhere(p, options);
  where.push(...await hostCondition(db, p, options.host));
  if (options.model !== undefined) where.push(`x.model = ${p.add(options.model)}`);
  if (options.event) where.push(`x.event = ANY(${p.add(options.event)}::text[])`);
  const { items, next } = await readPage(
    db,
    { table: "model_events", where, p, limit: options.limit ?? 100 },
    (r) => ({
      id: String(r.id),
      time: ms(r.time),
      host: hostOf(r),
      model: String(r.model),
      event: r.event as ModelEventKind,
      digest: r.digest as string | null,
      size: r.size as number | null,
      sizeVram: r.size_vram as number | null,
      loadedMs: r.loaded_ms as number | null,
      detail: r.detail as string | null,
    }),
  );
  return { events: items, next };
}

/** What {@link serverEvents} reads. */
export interface ServerEventOptions extends PageOptions {
  host?: string;
  event?: readonly ServerEventKind[];
}

/** Hosts found, going online or offline, draining, rebooting…, newest first. */
export async function serverEvents(
  db: Queryable,
  options: ServerEventOptions,
): Promise<ServerEventPage> {
  const p = new Params();
  const where = pageWhere(p, options);
  where.push(...await hostCondition(db, p, options.host));
  if (options.event) where.push(`x.event = ANY(${p.add(options.event)}::text[])`);
  const { items, next } = await readPage(
    db,
    { table: "server_events", where, p, limit: options.limit ?? 100 },
    (r) => ({
      id: String(r.id),
      time: ms(r.time),
      host: hostOf(r),
      event: r.event as ServerEventKind,
      previous: r.previous as string | null,
      detail: r.detail as string | null,
    }),
  );
  return { events: items, next };
}

function requestView(r: Row): RequestView {
  return {
    id: String(r.id),
    time: ms(r.time),
    hub: String(r.hub),
    apiKey: r.api_key as string | null,
    client: r.client as string | null,
    method: String(r.method),
    endpoint: String(r.endpoint),
    model: r.model as string | null,
    host: r.server_id === null ? null : hostOf(r),
    route: r.route as string | null,
    attempts: Number(r.attempts),
    queuedMs: r.queued_ms as number | null,
    status: Number(r.status),
    error: r.error as string | null,
    stream: r.stream as boolean | null,
    promptTokens: r.prompt_tokens as number | null,
    completionTokens: r.completion_tokens as number | null,
    ttfbMs: r.ttfb_ms as number | null,
    durationMs: r.duration_ms as number | null,
    loadMs: r.load_ms as number | null,
    bytesIn: r.bytes_in as number | null,
    bytesOut: r.bytes_out as number | null,
  };
}

/** What {@link requests} reads. */
export interface RequestOptions extends PageOptions {
  host?: string;
  model?: string;
  key?: string;
  status?: StatusFilter;
  endpoint?: string;
}

function statusCondition(p: Params, status: StatusFilter): string {
  if (status === "error") return "(x.status >= 400 OR x.error IS NOT NULL)";
  if (status === "ok") return "(x.status < 400 AND x.error IS NULL)";
  if ("code" in status) return `x.status = ${p.add(status.code)}`;
  return `x.status BETWEEN ${p.add(status.class * 100)} AND ${p.add(status.class * 100 + 99)}`;
}

/**
 * The request log, newest first, paged on `(time, id)`: a page starts strictly after the previous
 * one's last row, so rows written meanwhile (which are newer) neither repeat nor shift a page.
 */
export async function requests(
  db: Queryable,
  options: RequestOptions,
): Promise<RequestPage> {
  const p = new Params();
  const where = pageWhere(p, options);
  where.push(...await hostCondition(db, p, options.host));
  if (options.model !== undefined) where.push(`x.model = ${p.add(options.model)}`);
  if (options.key !== undefined) where.push(`x.api_key = ${p.add(options.key)}`);
  if (options.endpoint !== undefined) where.push(`x.endpoint = ${p.add(options.endpoint)}`);
  if (options.status !== undefined) where.push(statusCondition(p, options.status));
  const { items, next } = await readPage(
    db,
    { table: "request_logs", where, p, limit: options.limit ?? 100 },
    requestView,
  );
  return { requests: items, next };
}

/**
 * One logged request.
 *
 * @throws {FleetError} 404 when there is none with that id (which must be a UUID).
 */
export async function requestById(db: Queryable, id: string): Promise<RequestView> {
  const [row] = await db.query(
    `SELECT x.*, s.name AS server_name FROM request_logs x
      LEFT JOIN servers s ON s.id = x.server_id WHERE x.id = $1::uuid`,
    [id],
  );
  if (!row) throw new FleetError("NOT_FOUND", `No request "${id}" in history`, 404);
  return requestView(row);
}

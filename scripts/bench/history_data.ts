/**
 * Realistic history for the history benchmark (`history_bench.ts`): a fleet of hosts sampled
 * every 10 s, their GPUs, snapshots, model and host events, and a request log with a skewed mix
 * of models, keys and endpoints, about 2 % errors and a long tail of durations.
 *
 * {@link fillStatements} writes it all inside the database with `generate_series`, one
 * `INSERT … SELECT` per table, so that millions of rows never pass through JavaScript; each
 * statement seeds `random()` first, so a fill is the same every time. {@link requestLogRow} makes
 * one row of the same shape in JavaScript, for the writer's throughput.
 *
 * @module
 */

import type { Db } from "../../hub/history/db.ts";
import { uuidv7 } from "../../hub/history/ids.ts";
import { rollUp } from "../../hub/history/retention.ts";
import type { RequestLogRow } from "../../hub/history/tables.ts";

/** What a generated fleet looks like. */
export interface FleetShape {
  /** Days of raw history, ending at {@link FleetShape.end}. */
  days: number;
  hosts: number;
  /** Requests per second over the whole fleet. */
  requestsPerSecond: number;
  /** Days of hourly rollups (older ones are copies of the raw week's, shifted by whole weeks). */
  rollupDays: number;
  /** The end of the data, ms since the epoch; floored to a whole minute. */
  end: number;
}

/** The defaults of `deno task bench --only history`: a week of a 20-host fleet. */
export const FLEET_DEFAULTS: Omit<FleetShape, "end"> = {
  days: 7,
  hosts: 20,
  requestsPerSecond: 4,
  rollupDays: 90,
};

/** Seconds between two samples of a host, as the hub's default `history.sample_interval`. */
export const SAMPLE_SECONDS = 10;

/** Models, most requested first. */
export const MODELS: readonly string[] = [
  "llama3.1:8b",
  "qwen3:8b",
  "gemma3:12b",
  "llama3.2:3b",
  "qwen2.5-coder:14b",
  "mistral-small:24b",
  "nomic-embed-text",
  "deepseek-r1:32b",
];

/** How many hosts serve each model (each model lives on a few hosts, not all of them). */
const HOSTS_PER_MODEL = 5;

/** API key names, busiest first; about 10 % of requests come without a key (the local network). */
export const KEYS: readonly string[] = ["webui", "alice", "ci", "notebooks", "bob", "batch"];

/** Error statuses and what the hub logs for them; about 2 % of requests get one. */
const ERRORS: readonly (readonly [status: number, error: string])[] = [
  [500, "model runner has unexpectedly stopped"],
  [503, "server busy, please try again"],
  [404, "model not found"],
  [400, "invalid request body"],
  [502, "upstream closed the connection before the first byte"],
];
const ERROR_RATE = 0.02;

/** The id of host `h` (1-based): a stable hex string, as agents derive theirs. */
export function hostId(h: number): string {
  return ((h * 2654435761) % 4294967296).toString(16).padStart(8, "0");
}

/** {@link hostId} in SQL, for an integer expression `h`. */
export function hostIdSql(h: string): string {
  return `lpad(to_hex((${h})::bigint * 2654435761 % 4294967296), 8, '0')`;
}

/** The display name of host `h` (1-based). */
export function hostName(h: number): string {
  return `gpu-${String(h).padStart(2, "0")}`;
}

/** How many GPUs host `h` has: every other host has two. */
export function gpuCount(h: number): number {
  return 1 + (h % 2);
}

/** The hosts that serve model `m` (0-based index into {@link MODELS}), 1-based. */
export function hostsOfModel(m: number, hosts: number): number[] {
  const n = Math.min(HOSTS_PER_MODEL, hosts);
  return Array.from({ length: n }, (_, k) => 1 + ((m * HOSTS_PER_MODEL + k) % hosts));
}

/** `end` floored to a minute, and the start `days` before it, ms since the epoch. */
export function span(shape: Pick<FleetShape, "days" | "end">): { start: number; end: number } {
  const end = Math.floor(shape.end / 60_000) * 60_000;
  return { start: end - shape.days * 86_400_000, end };
}

/** How many request rows a fill writes: `requestsPerSecond` over the whole span. */
export function requestCount(shape: Pick<FleetShape, "days" | "requestsPerSecond">): number {
  return Math.round(shape.days * 86_400 * shape.requestsPerSecond);
}

/** One statement of a fill, with what it writes. */
export interface FillStatement {
  table: string;
  /** Seeds `random()` before the statement runs, in the same transaction. */
  seed: number;
  sql: string;
  params: unknown[];
}

const sqlText = (value: string) => `'${value.replaceAll("'", "''")}'`;
const sqlArray = (values: readonly (string | number)[]) =>
  `ARRAY[${values.map((v) => typeof v === "number" ? String(v) : sqlText(v)).join(", ")}]`;

/** A UUIDv7 (RFC 9562) for time `t`, its random bits from `hex` (an md5 in hex). */
function uuidv7Sql(t: string, hex: string): string {
  return `(lpad(to_hex(floor(extract(epoch from ${t}) * 1000)::bigint), 12, '0') || '7' || ` +
    `substr(${hex}, 1, 3) || '8' || substr(${hex}, 4, 15))::uuid`;
}

/**
 * The statements that fill a migrated, empty database with `shape`'s fleet: `raw`, one per table,
 * then (after the raw span has been rolled up) `olderRollups`, which copy the rolled-up week back
 * by whole weeks to cover `rollupDays`, as a hub that has run that long keeps them.
 */
export function fillStatements(
  shape: FleetShape,
): { raw: FillStatement[]; olderRollups: FillStatement[] } {
  const { start, end } = span(shape);
  const base = [new Date(start).toISOString(), new Date(end).toISOString(), shape.hosts];
  const hostId = hostIdSql("h");
  const range = "$1::text::timestamptz";
  const until = "$2::text::timestamptz";
  const samples = `generate_series(${range}, ${until} - interval '${SAMPLE_SECONDS} seconds', ` +
    `interval '${SAMPLE_SECONDS} seconds')`;
  const models = sqlArray(MODELS);
  const gib = 1024 ** 3;

  const servers = `INSERT INTO servers (id, name, kind, url, status, hostname, os, kernel, arch,
      cpu_model, boot_id, agent_version, ollama_version, gpus, first_seen, last_seen)
    SELECT ${hostId}, 'gpu-' || lpad(h::text, 2, '0'), 'agent',
      'http://10.1.0.' || h || ':11435', 'online', 'gpu-' || lpad(h::text, 2, '0') || '.lab',
      'Debian GNU/Linux 12 (bookworm)', '6.1.0-28-amd64', 'x86_64', 'AMD EPYC 7543 32-Core Processor',
      md5('boot' || h), '0.4.0', '0.9.6',
      (SELECT jsonb_agg(jsonb_build_object('index', g, 'uuid', 'GPU-' || md5(h || '-' || g),
        'name', 'NVIDIA GeForce RTX 4090', 'vendor', 'nvidia', 'memoryTotal', ${24 * gib}))
        FROM generate_series(0, h % 2) g),
      ${range}, ${until}
    FROM generate_series(1, $3::integer) h`;

  // random() in a subquery's select list is drawn per row (a volatile subquery is not flattened).
  // Samples are written in time order, every host at each time, as the recorder writes them: a
  // host's rows are spread over the table as they would be, not packed together.
  const systemMetrics = `INSERT INTO system_metrics (server_id, time, cpu_util, cpu_count, load1,
      mem_total, mem_available, swap_total, swap_free, disk_total, disk_used, cpu_temp, uptime_s,
      in_flight)
    SELECT ${hostId}, t, cpu, 32, cpu * 0.32 * (0.8 + 0.4 * r2), ${128 * gib},
      floor(${128 * gib} * (0.35 + 0.3 * r2))::bigint, ${8 * gib}, floor(${8 * gib} * 0.97)::bigint,
      ${2000 * gib}, floor(${900 * gib} + h * ${20 * gib}
        + extract(epoch from t - ${range}) * 2000)::bigint,
      38 + cpu * 0.4 + 3 * r2, floor(extract(epoch from t - ${range}) + 86400 * h)::bigint,
      floor(r3 * r3 * 6)::integer
    FROM (SELECT h, t, least(100, greatest(0,
        25 + 20 * sin(extract(epoch from t) / 13750 + h) + 15 * random()))::real AS cpu,
        random() AS r2, random() AS r3
      FROM generate_series(1, $3::integer) h CROSS JOIN ${samples} t ORDER BY t, h) s`;

  const gpuMetrics = `INSERT INTO gpu_metrics (server_id, gpu, time, uuid, name, utilization,
      memory_total, memory_used, temperature, power_draw, power_limit)
    SELECT ${hostId}, g, t, 'GPU-' || md5(h || '-' || g), 'NVIDIA GeForce RTX 4090', util,
      ${24 * gib}, floor(${24 * gib} * (0.3 + 0.6 * r2))::bigint, 35 + util * 0.45 + 2 * r2,
      30 + util * 4.1, 450
    FROM (SELECT h, g, t, least(100, greatest(0,
        40 + 45 * sin(extract(epoch from t) / 9000 + h + g) + 20 * random()))::real AS util,
        random() AS r2
      FROM generate_series(1, $3::integer) h CROSS JOIN LATERAL generate_series(0, h % 2) g
        CROSS JOIN ${samples} t ORDER BY t, h, g) s`;

  const snapshots = `INSERT INTO server_snapshots (server_id, time, status, ollama_reachable,
      ollama_version, loaded, models_on_disk, in_flight)
    SELECT ${hostId}, t, 'online', true, '0.9.6',
      jsonb_build_array(jsonb_build_object('name', m, 'digest', md5(m), 'size', ${6 * gib},
        'sizeVram', ${6 * gib}, 'expiresAt', null)),
      12, floor(r * r * 6)::integer
    FROM (SELECT h, t, (${models})[1 + (h % ${MODELS.length})] AS m, random() AS r
      FROM generate_series(1, $3::integer) h CROSS JOIN ${samples} t ORDER BY t, h) s`;

  // Per host, twice a day: a model loaded and unloaded four hours later.
  const modelEvents = `INSERT INTO model_events (id, time, server_id, model, event, digest, size,
      size_vram, loaded_ms, detail)
    SELECT ${uuidv7Sql("t", "md5(h || '-' || k || e)")}, t, ${hostId}, m, e, md5(m), ${6 * gib},
      ${6 * gib}, CASE WHEN e = 'unload' THEN 14400000 END, NULL
    FROM (SELECT h, k, e, (${models})[1 + ((h + k) % ${MODELS.length})] AS m,
        ${range} + k * interval '12 hours' + h * interval '7 minutes'
          + CASE WHEN e = 'unload' THEN interval '4 hours' ELSE interval '0' END AS t
      FROM generate_series(1, $3::integer) h
        CROSS JOIN generate_series(0, $4::integer - 1) k
        CROSS JOIN (VALUES ('load'), ('unload')) AS v (e)) s
    WHERE t < ${until}`;

  // Per host: found at the start, then once a day offline for a reboot and back.
  const serverEvents = `INSERT INTO server_events (id, time, server_id, event, previous, detail)
    SELECT ${uuidv7Sql("t", "md5(h || '-' || k || e)")}, t, ${hostId}, e,
      CASE e WHEN 'online' THEN 'offline' WHEN 'offline' THEN 'online' END,
      CASE e WHEN 'offline' THEN 'no state for 2.5 s' END
    FROM (SELECT h, 0 AS k, 'discovered' AS e, ${range} + h * interval '1 second' AS t
        FROM generate_series(1, $3::integer) h
      UNION ALL
      SELECT h, k, e, ${range} + k * interval '1 day' + h * interval '41 minutes'
          + CASE WHEN e = 'online' THEN interval '3 minutes' ELSE interval '0' END
        FROM generate_series(1, $3::integer) h
          CROSS JOIN generate_series(1, $4::integer) k
          CROSS JOIN (VALUES ('offline'), ('online')) AS v (e)) s
    WHERE t < ${until}`;

  const errors = ERRORS.length;
  const requests = `INSERT INTO request_logs (id, time, hub, api_key, user_id, client, method,
      endpoint, model, server_id, route, attempts, queued_ms, status, error, stream,
      prompt_tokens, completion_tokens, ttfb_ms, duration_ms, load_ms, bytes_in, bytes_out)
    SELECT ${uuidv7Sql("t", "hx")}, t, 'hub-1', key, NULL, client, 'POST', endpoint,
      (${models})[m + 1], ${hostIdSql(`(1 + ((m * ${HOSTS_PER_MODEL} + hk) % $3::integer))`)},
      route, attempts, CASE WHEN route = 'loaded-busy' THEN round((20 + 400 * r9 * r9)::numeric, 2) END,
      CASE WHEN failed THEN (${
    sqlArray(ERRORS.map(([s]) => s))
  })[1 + floor(r7 / ${ERROR_RATE} * ${errors})::integer]
        ELSE 200 END,
      CASE WHEN failed THEN (${
    sqlArray(ERRORS.map(([, e]) => e))
  })[1 + floor(r7 / ${ERROR_RATE} * ${errors})::integer] END,
      stream, prompt, CASE WHEN failed OR endpoint = '/api/embed' THEN NULL ELSE completion END,
      CASE WHEN stream THEN round((loadms + 25 + 250 * r9)::numeric, 2) ELSE round(duration::numeric, 2) END,
      round(duration::numeric, 2), CASE WHEN loadms > 0 THEN round(loadms::numeric, 2) END,
      200 + prompt * 4, CASE WHEN failed THEN 120 ELSE 300 + completion * CASE WHEN stream THEN 95 ELSE 5 END END
    FROM (SELECT *, loadms + exp(ln(CASE WHEN endpoint = '/api/embed' THEN 40 ELSE 700 END)
          + 0.9 * sqrt(-2 * ln(r11)) * cos(2 * pi() * r12)) AS duration
      FROM (SELECT t, hx, m, hk, r7, r9, r11, r12,
          CASE WHEN r3 < 0.1 THEN NULL ELSE (${
    sqlArray(KEYS)
  })[1 + floor(power((r3 - 0.1) / 0.9, 2) * ${KEYS.length})::integer] END AS key,
          '10.0.' || (hk % 4) || '.' || (10 + floor(r3 * 200)::integer) AS client,
          CASE WHEN m = ${MODELS.indexOf("nomic-embed-text")} THEN '/api/embed'
            WHEN r4 < 0.5 THEN '/api/chat' WHEN r4 < 0.75 THEN '/api/generate'
            ELSE '/v1/chat/completions' END AS endpoint,
          CASE WHEN r5 < 0.9 THEN 'loaded' WHEN r5 < 0.97 THEN 'loaded-busy' ELSE 'on-disk' END AS route,
          CASE WHEN r6 < 0.005 THEN 2 ELSE 1 END AS attempts,
          r7 < ${ERROR_RATE} AS failed,
          m <> ${MODELS.indexOf("nomic-embed-text")} AND r8 < 0.7 AS stream,
          20 + floor(power(r9, 3) * 4000)::integer AS prompt,
          5 + floor(power(r10, 2) * 1500)::integer AS completion,
          CASE WHEN r5 >= 0.97 THEN 1500 + 6000 * r12 ELSE 0 END AS loadms
        FROM (SELECT ${range} + (i + random()) * ($2::text::timestamptz - ${range}) / $4::bigint AS t,
            md5(i::text || 'corral') AS hx,
            floor(power(random(), 1.6) * ${MODELS.length})::integer AS m,
            floor(random() * ${HOSTS_PER_MODEL})::integer AS hk,
            random() AS r3, random() AS r4, random() AS r5, random() AS r6, random() AS r7,
            random() AS r8, random() AS r9, random() AS r10, 1 - random() AS r11,
            random() AS r12
          FROM generate_series(0, $4::bigint - 1) i) a) b) c`;

  const weeks = Math.max(0, Math.ceil((shape.rollupDays - shape.days) / 7));
  const older = [new Date(end).toISOString(), shape.rollupDays, weeks];
  const shifted = "hour - k * interval '7 days'";
  const keep = `${shifted} >= $1::text::timestamptz - $2::integer * interval '1 day'`;
  const olderRequests = `INSERT INTO request_rollups
    SELECT ${shifted}, model, server_id, api_key, requests, errors, prompt_tokens,
      completion_tokens, duration_sum_ms, duration_p50_ms, duration_p95_ms, duration_max_ms,
      ttfb_count, ttfb_sum_ms, ttfb_p50_ms, ttfb_p95_ms
    FROM request_rollups CROSS JOIN generate_series(1, $3::integer) k WHERE ${keep}
    ON CONFLICT DO NOTHING`;
  const olderMetrics = `INSERT INTO metric_rollups
    SELECT ${shifted}, server_id, gpu, metric, min, avg, max, samples
    FROM metric_rollups CROSS JOIN generate_series(1, $3::integer) k WHERE ${keep}
    ON CONFLICT DO NOTHING`;

  const days = Math.ceil(shape.days);
  const raw: FillStatement[] = [
    { table: "servers", seed: 0.1, sql: servers, params: base },
    { table: "system_metrics", seed: 0.2, sql: systemMetrics, params: base },
    { table: "gpu_metrics", seed: 0.3, sql: gpuMetrics, params: base },
    { table: "server_snapshots", seed: 0.4, sql: snapshots, params: base },
    { table: "model_events", seed: 0.5, sql: modelEvents, params: [...base, days * 2] },
    { table: "server_events", seed: 0.6, sql: serverEvents, params: [...base, days] },
    { table: "request_logs", seed: 0.7, sql: requests, params: [...base, requestCount(shape)] },
  ];
  const olderRollups: FillStatement[] = weeks === 0 ? [] : [
    { table: "request_rollups", seed: 0.8, sql: olderRequests, params: older },
    { table: "metric_rollups", seed: 0.9, sql: olderMetrics, params: older },
  ];
  return { raw, olderRollups };
}

/** How long each step of a fill took, ms. */
export interface FillTimings {
  /** Each raw table's statement. */
  tables: { table: string; ms: number }[];
  /** `rollUp` over the whole raw span. */
  rollup: { ms: number; hours: number };
  /** The older weeks' rollups. */
  olderRollupsMs: number;
  /** `ANALYZE` (PGlite) or `VACUUM ANALYZE` (PostgreSQL, as its autovacuum would). */
  analyzeMs: number;
}

async function run(db: Db, statement: FillStatement): Promise<number> {
  const t0 = performance.now();
  await db.transaction(async (tx) => {
    await tx.query("SELECT setseed($1::float8)", [statement.seed]);
    await tx.query(statement.sql, statement.params);
  });
  return performance.now() - t0;
}

/**
 * Fills a migrated, empty database with `shape`'s fleet: the raw tables, their hourly rollups
 * (the hub's own `rollUp`), the older rollups, then statistics for the planner.
 */
export async function fillHistory(
  db: Db,
  shape: FleetShape,
  say: (message: string) => void = () => {},
): Promise<FillTimings> {
  const { raw, olderRollups } = fillStatements(shape);
  const tables: FillTimings["tables"] = [];
  for (const statement of raw) {
    say(`filling ${statement.table}`);
    tables.push({ table: statement.table, ms: await run(db, statement) });
  }
  say(`rolling up ${shape.days} days`);
  const { start, end } = span(shape);
  let t0 = performance.now();
  const { hours } = await rollUp(db, new Date(start), new Date(end));
  const rollup = { ms: performance.now() - t0, hours };
  t0 = performance.now();
  for (const statement of olderRollups) await run(db, statement);
  const olderRollupsMs = performance.now() - t0;
  say("analyzing");
  t0 = performance.now();
  await db.exec(db.backend === "postgres" ? "VACUUM ANALYZE" : "ANALYZE");
  return { tables, rollup, olderRollupsMs, analyzeMs: performance.now() - t0 };
}

/** A duration in ms with a median of `medianMs` and a long tail (log-normal, σ 0.9). */
function longTail(random: () => number, medianMs: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return medianMs * Math.exp(0.9 * z);
}

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/**
 * One `request_logs` row as the hub writes it, drawn from the same mix as the SQL fill: skewed
 * models on a few hosts each, keys, endpoints, about 2 % errors, long-tailed durations.
 *
 * @param random Numbers in [0, 1), e.g. the seeded `rng` of `scripts/sim/text.ts`.
 * @param time When the request arrived, ms since the epoch.
 * @param hosts How many hosts the fleet has.
 */
export function requestLogRow(random: () => number, time: number, hosts = 20): RequestLogRow {
  const m = Math.floor(random() ** 1.6 * MODELS.length);
  const model = MODELS[m]!;
  const host = hostsOfModel(m, hosts)[Math.floor(random() * Math.min(HOSTS_PER_MODEL, hosts))]!;
  const keyDraw = random();
  const embed = model === "nomic-embed-text";
  const endpointDraw = random();
  const endpoint = embed
    ? "/api/embed"
    : endpointDraw < 0.5
    ? "/api/chat"
    : endpointDraw < 0.75
    ? "/api/generate"
    : "/v1/chat/completions";
  const routeDraw = random();
  const route = routeDraw < 0.9 ? "loaded" : routeDraw < 0.97 ? "loaded-busy" : "on-disk";
  const errorDraw = random();
  const failed = errorDraw < ERROR_RATE;
  const [status, error] = failed
    ? ERRORS[Math.floor(errorDraw / ERROR_RATE * ERRORS.length)]!
    : [200, null];
  const stream = !embed && random() < 0.7;
  const prompt = 20 + Math.floor(random() ** 3 * 4000);
  const completion = 5 + Math.floor(random() ** 2 * 1500);
  const load = route === "on-disk" ? 1500 + 6000 * random() : 0;
  const duration = load + longTail(random, embed ? 40 : 700);
  return {
    id: uuidv7(time),
    time: new Date(time).toISOString(),
    hub: "hub-1",
    api_key: keyDraw < 0.1 ? null : KEYS[Math.floor(((keyDraw - 0.1) / 0.9) ** 2 * KEYS.length)]!,
    user_id: null,
    client: `10.0.${host % 4}.${10 + Math.floor(keyDraw * 200)}`,
    method: "POST",
    endpoint,
    model,
    server_id: hostId(host),
    route,
    attempts: random() < 0.005 ? 2 : 1,
    queued_ms: route === "loaded-busy" ? round2(20 + 400 * random() ** 2) : null,
    status,
    error,
    stream,
    prompt_tokens: prompt,
    completion_tokens: failed || embed ? null : completion,
    ttfb_ms: round2(stream ? load + 25 + 250 * random() : duration),
    duration_ms: round2(duration),
    load_ms: load > 0 ? round2(load) : null,
    bytes_in: 200 + prompt * 4,
    bytes_out: failed ? 120 : 300 + completion * (stream ? 95 : 5),
  };
}

/**
 * History against its targets: "5,000 request logs/s on PostgreSQL with no effect on routing
 * latency; history queries for a 24-hour range answer in under 200 ms." Three parts, each on
 * PostgreSQL and on the embedded PGlite:
 *
 * 1. **writes**: the hub's `HistoryWriter`, in this process, into a fresh database: a burst of
 *    request rows (how fast it drains them), then a steady 5,000 rows/s (whether it keeps up);
 * 2. **routing**: three hubs in front of one simulator, history off, on PostgreSQL and on PGlite,
 *    their latency at concurrency 16 side by side, a run as fast as each goes (every request
 *    counted in the database afterwards), and their resident memory after the load;
 * 3. **queries**: a week of a 20-host fleet generated inside each database (`history_data.ts`),
 *    rolled up by the hub's own `rollUp`, then each history API call the dashboard makes, for the
 *    last 24 hours and over the rollups, through `historyRoutes` and `app.request()`.
 *
 * @module
 */

import { Hono } from "hono";
import type { Db } from "../../hub/history/db.ts";
import { historyRoutes } from "../../hub/history/api.ts";
import { openPglite } from "../../hub/history/pglite.ts";
import { freshPglite, freshPostgres, type TestDb } from "../../hub/history/testing.ts";
import { HistoryWriter } from "../../hub/history/writer.ts";
import { quiet } from "../../hub/log.ts";
import { type Child, clockTicksPerSecond, readCpuTicks, sleep, timedPost } from "./agent_bench.ts";
import {
  fillHistory,
  type FillTimings,
  FLEET_DEFAULTS,
  hostName,
  MODELS,
  requestLogRow,
  span,
} from "./history_data.ts";
import { rng } from "../sim/text.ts";
import { startHubProcess } from "./hub_bench.ts";
import { quantile, runLoad } from "./load.ts";
import { spawnSim } from "./sim_bench.ts";

/** Which parts to run. */
export type HistoryPart = "writes" | "routing" | "queries";
/** Every part, in the order they run. */
export const HISTORY_PARTS: readonly HistoryPart[] = ["writes", "routing", "queries"];

/** What {@link historyBench} measures over. */
export interface HistoryBenchOptions {
  parts: readonly HistoryPart[];
  /** Rows appended at once for the burst. */
  burstRows: number;
  /** Rows per second, and for how long, for the sustained write. */
  sustainedRate: number;
  sustainedSeconds: number;
  /** Requests per hub at concurrency 16, over alternating rounds. */
  requests: number;
  /** Requests per hub for the run as fast as it goes. */
  fastRequests: number;
  /** Days and hosts of generated history for the queries. */
  days: number;
  hosts: number;
  /** Timed runs of each query, after one warm-up. */
  runs: number;
}

/** The defaults of `deno task bench --only history`. */
export const HISTORY_BENCH_DEFAULTS: HistoryBenchOptions = {
  parts: HISTORY_PARTS,
  burstRows: 200_000,
  sustainedRate: 5000,
  sustainedSeconds: 20,
  requests: 4000,
  fastRequests: 20_000,
  days: FLEET_DEFAULTS.days,
  hosts: FLEET_DEFAULTS.hosts,
  runs: 5,
};

/** The targets the report checks. */
export const HISTORY_TARGETS = {
  /** Request logs per second on PostgreSQL. */
  rowsPerSecond: 5000,
  /** A 24-hour history query, ms. */
  queryMs: 200,
  /**
   * "No effect on routing latency", read as within the hub bench's run-to-run spread at
   * concurrency 16 (0.13 ms p50 and 2.4 ms p99 between its two runs of 2026-11-22), ms.
   */
  sameP50Ms: 0.25,
  sameP99Ms: 2.5,
  /** Requests per second through a hub that logs every one. */
  requestsPerSecond: 5000,
} as const;

type Backend = "postgres" | "pglite";
const BACKENDS: readonly Backend[] = ["postgres", "pglite"];
const MODEL = "llama3.2:3b";
const SLOTS = 128;
const ROUNDS = 4;
const TICK_MS = 10;

const say = (message: string) => console.error(`history bench: ${message}`);
const fresh = (backend: Backend): Promise<TestDb> =>
  backend === "postgres" ? freshPostgres() : freshPglite();

// ---------------------------------------------------------------------------------------------
// 1. Writes

/** What the writer did with a burst and with a steady rate, on one backend. */
interface WriteResult {
  backend: Backend;
  burst: { rows: number; ms: number; written: number };
  sustained: {
    appended: number;
    seconds: number;
    maxBuffered: number;
    /** Rows still queued 2 s after the last append. */
    bufferedAfter2s: number;
    written: number;
    dropped: number;
    /** From the first append until every row was written. */
    drainSeconds: number;
    /** The longest a 10 ms tick came late: how long the event loop was held. */
    maxTickLateMs: number;
  };
}

async function waitDrained(writer: HistoryWriter, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (writer.buffered > 0 && performance.now() < deadline) await writer.flush();
}

async function measureWrites(backend: Backend, options: HistoryBenchOptions): Promise<WriteResult> {
  const random = rng(42);
  const rate = options.sustainedRate;
  let burst: WriteResult["burst"];
  {
    await using db = await fresh(backend);
    const base = Date.now();
    const rows = Array.from(
      { length: options.burstRows },
      (_, i) => requestLogRow(random, base + i * 1000 / rate),
    );
    // The hub keeps 50,000 rows per table by default; a burst this size needs room for all.
    const writer = new HistoryWriter({ db: db.db, log: quiet, bound: rows.length });
    const t0 = performance.now();
    for (const row of rows) writer.append("request_logs", row);
    await waitDrained(writer, 600_000);
    burst = { rows: rows.length, ms: performance.now() - t0, written: writer.health().written };
    await writer.stop();
  }
  await using db = await fresh(backend);
  const writer = new HistoryWriter({ db: db.db, log: quiet }); // the hub's settings
  writer.start();
  const target = Math.round(rate * options.sustainedSeconds);
  let appended = 0;
  let maxBuffered = 0;
  let maxTickLateMs = 0;
  const begin = performance.now();
  await new Promise<void>((resolve) => {
    let last = begin;
    const timer = setInterval(() => {
      const now = performance.now();
      maxTickLateMs = Math.max(maxTickLateMs, now - last - TICK_MS);
      last = now;
      const due = Math.min(target, Math.floor((now - begin) / 1000 * rate));
      for (; appended < due; appended++) {
        writer.append("request_logs", requestLogRow(random, Date.now()));
      }
      maxBuffered = Math.max(maxBuffered, writer.buffered);
      if (appended >= target) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  const ended = performance.now();
  const seconds = (ended - begin) / 1000;
  // Watch the queue empty (the writer flushes every second), then look again 2 s after the end.
  while (writer.buffered > 0 && performance.now() - ended < 2000) await sleep(TICK_MS);
  let drainedAt = writer.buffered === 0 ? performance.now() : NaN;
  await sleep(Math.max(0, ended + 2000 - performance.now()));
  const bufferedAfter2s = writer.buffered;
  if (Number.isNaN(drainedAt)) {
    await waitDrained(writer, 120_000);
    drainedAt = performance.now();
  }
  const drainSeconds = (drainedAt - begin) / 1000;
  await writer.stop();
  const { written, dropped } = writer.health();
  return {
    backend,
    burst,
    sustained: {
      appended,
      seconds,
      maxBuffered,
      bufferedAfter2s,
      written,
      dropped,
      drainSeconds,
      maxTickLateMs,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Routing

type HubName = "history off" | "PostgreSQL" | "PGlite";

interface HubUnderTest {
  name: HubName;
  child: Child;
  url: string;
  /** Requests sent to its data plane, each of which should be logged. */
  sent: number;
  /** How many `request_logs` rows it wrote, read once it has stopped. */
  count(): Promise<number | null>;
}

interface RoutingResult {
  latency: Map<HubName, { latencies: number[]; seconds: number; failures: number; cpuUs: number }>;
  fast: Map<HubName, { rps: number; p50: number; p99: number; failures: number }>;
  rss: Map<HubName, { idle: number; loaded: number; anon: number }>;
  logged: Map<HubName, { sent: number; rows: number | null }>;
  fastConcurrency: number;
}

async function readRss(pid: number): Promise<{ rss: number; anon: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: kib("VmRSS") / 1024, anon: kib("RssAnon") / 1024 };
}

async function countRows(db: Db): Promise<number> {
  const [row] = await db.query<{ n: number }>("SELECT count(*)::integer AS n FROM request_logs");
  return row?.n ?? 0;
}

async function startHubs(
  simUrl: string,
  dir: string,
  cleanups: (() => Promise<unknown>)[],
): Promise<HubUnderTest[]> {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))));
  const ollama = { ollama: [{ url: simUrl, slots: SLOTS }] };
  const pg = await freshPostgres();
  cleanups.push(() => pg.close());
  const tag = Math.random().toString(36).slice(2, 8);
  const [off, onPg, onPglite] = await Promise.all([
    startHubProcess(dir, `hub-off-${tag}`, { ...ollama, history: { enabled: false } }, key),
    startHubProcess(dir, `hub-pg-${tag}`, { ...ollama, database_url: pg.location }, key),
    startHubProcess(dir, `hub-pglite-${tag}`, ollama, key),
  ]);
  cleanups.push(() => off.child.stop(), () => onPg.child.stop(), () => onPglite.child.stop());
  return [
    { name: "history off", ...off, sent: 0, count: () => Promise.resolve(null) },
    { name: "PostgreSQL", ...onPg, sent: 0, count: () => countRows(pg.db) },
    {
      name: "PGlite",
      ...onPglite,
      sent: 0,
      async count() {
        // startHubProcess's default data_dir; readable once the hub has let go of its lock.
        const db = await openPglite(`${dir}/hub-pglite-${tag}-data`);
        try {
          return await countRows(db);
        } finally {
          await db.close();
        }
      },
    },
  ];
}

async function measureRouting(options: HistoryBenchOptions): Promise<RoutingResult> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const dir = await Deno.makeTempDir({ prefix: "corral-history-bench-" });
  try {
    say("starting a simulator at zero think time and three hubs in front of it");
    const simArgs = ["--speed", "1e9", "--profile", "rtx4090", "--preload", MODEL];
    simArgs.push("--keep-alive=-1", "--num-parallel", String(SLOTS), "--context-length", "2048");
    const sim = await spawnSim(simArgs);
    cleanups.push(() => sim.stop());
    const probe = await fetch(`${sim.url}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: MODEL, prompt: "hi", stream: false }),
    });
    if (!probe.ok) throw new Error(`The simulator answered ${probe.status}: ${await probe.text()}`);
    await probe.arrayBuffer();
    const hubs = await startHubs(sim.url, dir, cleanups);
    const ticks = await clockTicksPerSecond();
    const body = JSON.stringify({
      model: MODEL,
      prompt: "hi",
      stream: false,
      options: { num_predict: 1 },
    });
    const load = async (hub: HubUnderTest, concurrency: number, count: number, into: number[]) => {
      const r = await runLoad(timedPost(`${hub.url}/api/generate`, {}, body, into), {
        concurrency,
        count,
      });
      hub.sent += r.requests + r.failures;
      return r;
    };
    await sleep(2000);
    const idle = new Map(
      await Promise.all(hubs.map(async (h) => [h.name, (await readRss(h.child.pid)).rss] as const)),
    );
    say("warming up each hub");
    for (const hub of hubs) {
      await load(hub, 128, 1000, []);
      await load(hub, 16, 500, []);
    }
    say(`latency: ${options.requests} requests per hub at concurrency 16, ${ROUNDS} rounds`);
    const latency: RoutingResult["latency"] = new Map(
      hubs.map((h) => [h.name, { latencies: [], seconds: 0, failures: 0, cpuUs: 0 }]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const hub of [...hubs.slice(round % 3), ...hubs.slice(0, round % 3)]) {
        const into = latency.get(hub.name)!;
        const cpu0 = (await readCpuTicks(hub.child.pid)).own;
        const r = await load(hub, 16, Math.ceil(options.requests / ROUNDS), into.latencies);
        into.cpuUs += ((await readCpuTicks(hub.child.pid)).own - cpu0) / ticks * 1e6;
        into.seconds += r.requests / r.requestsPerSecond;
        into.failures += r.failures;
      }
    }
    for (const r of latency.values()) r.latencies.sort((a, b) => a - b);
    const fastConcurrency = 64;
    say(`as fast as it goes: ${options.fastRequests} requests per hub at concurrency 64`);
    const fast: RoutingResult["fast"] = new Map();
    for (const hub of hubs) {
      const r = await load(hub, fastConcurrency, options.fastRequests, []);
      fast.set(hub.name, {
        rps: r.requestsPerSecond,
        p50: r.p50Ms,
        p99: r.p99Ms,
        failures: r.failures,
      });
    }
    say("steady state: resident memory 5 s after the load");
    await sleep(5000);
    const rss: RoutingResult["rss"] = new Map();
    for (const hub of hubs) {
      const { rss: loaded, anon } = await readRss(hub.child.pid);
      rss.set(hub.name, { idle: idle.get(hub.name)!, loaded, anon });
    }
    const logged: RoutingResult["logged"] = new Map();
    for (const hub of hubs) {
      await hub.child.stop(); // writes what it still holds
      logged.set(hub.name, { sent: hub.sent, rows: await hub.count() });
    }
    return { latency, fast, rss, logged, fastConcurrency };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Queries

interface QueryTiming {
  label: string;
  path: string;
  ms: number[];
  /** Under the 24-hour target (only the 24-hour queries are held to it). */
  targeted: boolean;
}

interface QueryResult {
  backend: Backend;
  fill: FillTimings;
  fillSeconds: number;
  tables: { table: string; rows: number; mb: number }[];
  databaseMb: number;
  queries: QueryTiming[];
}

const TABLES = [
  "servers",
  "system_metrics",
  "gpu_metrics",
  "server_snapshots",
  "model_events",
  "server_events",
  "request_logs",
  "request_rollups",
  "metric_rollups",
];

const DAY = "from=-24h";
const FILTER_MODEL = MODELS[2]!;

/**
 * The calls timed: what to call it, its path under `/api/history/` (the cursor is added to the
 * one that ends `cursor=`), the list in its answer that must not be empty, and whether it is a
 * 24-hour query held to the target.
 */
const QUERIES: readonly (readonly [label: string, path: string, list: string, day: boolean])[] = [
  ["usage by model, step 5m", `usage?by=model&${DAY}&step=5m`, "groups", true],
  ["usage by host, step 5m", `usage?by=host&${DAY}&step=5m`, "groups", true],
  ["usage by key, step 5m", `usage?by=key&${DAY}&step=5m`, "groups", true],
  ["host metrics, step 1m", `metrics?host=${hostName(1)}&${DAY}&step=1m`, "gpus", true],
  [
    "fleet GPU utilization, step 5m",
    `fleet-metrics?metric=utilization&${DAY}&step=5m`,
    "groups",
    true,
  ],
  ["model events", `model-events?${DAY}`, "events", true],
  ["server events", `server-events?${DAY}`, "events", true],
  ["requests, first page", `requests?${DAY}`, "requests", true],
  ["requests, next page (cursor)", `requests?${DAY}&cursor=`, "requests", true],
  [
    `requests, model ${FILTER_MODEL}`,
    `requests?${DAY}&model=${encodeURIComponent(FILTER_MODEL)}`,
    "requests",
    true,
  ],
  ["facets", `facets?${DAY}`, "models", true],
  ["usage by model, 7 d, step 1h (rollups)", "usage?by=model&from=-7d&step=1h", "groups", false],
  [
    "host metrics, 7 d, step 1h (rollups)",
    `metrics?host=${hostName(1)}&from=-7d&step=1h`,
    "gpus",
    false,
  ],
  [
    "usage by model, 90 d, step 12h (rollups)",
    "usage?by=model&from=-90d&step=12h",
    "groups",
    false,
  ],
];

async function tableSizes(db: Db): Promise<{ tables: QueryResult["tables"]; databaseMb: number }> {
  const tables: QueryResult["tables"] = [];
  for (const table of TABLES) {
    const [row] = await db.query<{ n: number; bytes: number }>(
      `SELECT count(*)::bigint AS n, pg_total_relation_size('${table}')::bigint AS bytes FROM ${table}`,
    );
    tables.push({ table, rows: row?.n ?? 0, mb: (row?.bytes ?? 0) / 2 ** 20 });
  }
  const [db0] = await db.query<{ bytes: number }>(
    "SELECT pg_database_size(current_database())::bigint AS bytes",
  );
  return { tables, databaseMb: (db0?.bytes ?? 0) / 2 ** 20 };
}

async function measureQueries(
  backend: Backend,
  options: HistoryBenchOptions,
): Promise<QueryResult> {
  await using store = await fresh(backend);
  const shape = { ...FLEET_DEFAULTS, days: options.days, hosts: options.hosts, end: Date.now() };
  say(`${backend}: generating ${shape.days} days of ${shape.hosts} hosts`);
  const t0 = performance.now();
  const fill = await fillHistory(store.db, shape, (m) => say(`${backend}: ${m}`));
  const fillSeconds = (performance.now() - t0) / 1000;
  const sizes = await tableSizes(store.db);
  const { end } = span(shape);
  const app = new Hono().route(
    "/api/history",
    historyRoutes({
      db: store.db,
      ready: () => true,
      rawRetentionMs: shape.days * 86_400_000,
      now: () => end,
      log: quiet,
    }),
  );
  const call = async (path: string) => {
    const response = await app.request(`http://localhost/api/history/${path}`);
    const body = await response.json();
    if (response.status !== 200) {
      throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(body)}`);
    }
    return body as Record<string, unknown>;
  };
  const next = (await call(`requests?${DAY}`)).next as string | null;
  if (!next) throw new Error("The first page of requests has no next cursor");
  const queries: QueryTiming[] = [];
  for (const [label, spec, list, day] of QUERIES) {
    const path = spec.endsWith("cursor=") ? spec + next : spec;
    say(`${backend}: ${label}`);
    const first = await call(path); // warm-up
    if (!Array.isArray(first[list]) || (first[list] as unknown[]).length === 0) {
      throw new Error(
        `GET ${path} answered no ${list}: the generated history is not what it queries`,
      );
    }
    const ms: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      const t = performance.now();
      await call(path);
      ms.push(performance.now() - t);
    }
    queries.push({ label, path, ms: ms.sort((a, b) => a - b), targeted: day });
  }
  return { backend, fill, fillSeconds, ...sizes, queries };
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (n: number, digits = 1) => Number.isFinite(n) ? n.toFixed(digits) : "–";
const int = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–";
const verdict = (ok: boolean) => ok ? "**PASS**" : "**FAIL**";
const NAMES: Record<Backend, string> = { postgres: "PostgreSQL", pglite: "PGlite" };

function writesReport(results: WriteResult[], options: HistoryBenchOptions): string[] {
  const out = [
    "### History: write throughput (`HistoryWriter`, in this process)",
    "",
    `Burst: ${int(options.burstRows)} realistic \`request_logs\` rows appended at once to a ` +
    "fresh database, timed until the last is written (1,000 rows per statement, the writer's " +
    `default; its bound raised to hold them all). Sustained: ${
      int(options.sustainedRate)
    } rows/s ` +
    `for ${options.sustainedSeconds} s in ${TICK_MS} ms ticks, with the hub's settings ` +
    "(flush every second or at 1,000 rows, 50,000 rows kept per table).",
    "",
    "| backend | burst rows/s | sustained: rows/s written | most buffered | buffered 2 s after | dropped | longest tick delay ms |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    const s = r.sustained;
    out.push(
      `| ${NAMES[r.backend]} | ${int(r.burst.written / r.burst.ms * 1000)} | ${
        int(s.written / s.drainSeconds)
      } | ${int(s.maxBuffered)} | ${int(s.bufferedAfter2s)} | ${int(s.dropped)} | ${
        fmt(s.maxTickLateMs)
      } |`,
    );
  }
  return out;
}

function routingReport(r: RoutingResult, options: HistoryBenchOptions): string[] {
  const off = r.latency.get("history off")!;
  const p = (l: number[], q: number) => quantile(l, q);
  const out = [
    "### History: effect on routing",
    "",
    "`POST /api/generate` (1 token, non-streamed) to a simulator at zero think time (`--speed " +
    `1e9\`, ${MODEL} preloaded, \`--num-parallel ${SLOTS}\`) through three hubs, each in its own ` +
    "process with the simulator as a plain Ollama: history **off**, on a fresh **PostgreSQL** " +
    "database (`database_url`), and in **PGlite** (`data_dir`). " +
    `${options.requests} requests per hub at concurrency 16 in ${ROUNDS} rounds, hubs in a ` +
    "rotating order, after a warm-up; CPU is the hub process's utime + stime per request.",
    "",
    "| hub | p50 ms | Δ p50 ms | p99 ms | Δ p99 ms | req/s | hub CPU µs/req | failed |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [name, l] of r.latency) {
    const base = name === "history off";
    out.push(
      `| ${name} | ${fmt(p(l.latencies, 0.5), 2)} | ${
        base ? "" : fmt(p(l.latencies, 0.5) - p(off.latencies, 0.5), 2)
      } | ${fmt(p(l.latencies, 0.99), 2)} | ${
        base ? "" : fmt(p(l.latencies, 0.99) - p(off.latencies, 0.99), 2)
      } | ${int(l.latencies.length / l.seconds)} | ${
        int(l.cpuUs / (l.latencies.length + l.failures))
      } | ${l.failures} |`,
    );
  }
  out.push(
    "",
    `As fast as each goes (${int(options.fastRequests)} requests at concurrency ` +
      `${r.fastConcurrency}), then every request counted in \`request_logs\` once the hub has ` +
      "stopped; resident memory (VmRSS) before the load and 5 s after it:",
    "",
    "| hub | req/s | p50 ms | p99 ms | failed | requests sent | rows logged | RSS idle MiB | RSS after load MiB | anon MiB |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const [name, f] of r.fast) {
    const logged = r.logged.get(name)!;
    const rss = r.rss.get(name)!;
    out.push(
      `| ${name} | ${int(f.rps)} | ${fmt(f.p50, 2)} | ${fmt(f.p99, 2)} | ${f.failures} | ${
        int(logged.sent)
      } | ${logged.rows === null ? "–" : int(logged.rows)} | ${fmt(rss.idle)} | ${
        fmt(rss.loaded)
      } | ${fmt(rss.anon)} |`,
    );
  }
  return out;
}

function queriesReport(results: QueryResult[], options: HistoryBenchOptions): string[] {
  const out = [
    "### History: queries over generated history",
    "",
    `${options.days} days of a ${options.hosts}-host fleet generated inside each database ` +
    "(`history_data.ts`, one `INSERT … SELECT generate_series` per table): host and GPU samples " +
    "and snapshots every 10 s (every other host has 2 GPUs), about 4 requests/s over the fleet " +
    "(8 models on 5 hosts each, skewed, 6 keys and 10 % without, 2 % errors, log-normal " +
    "durations), model and host events twice and once a day per host; rolled up with the hub's " +
    "`rollUp`, older rollups to 90 days as copies of that week; then `VACUUM ANALYZE` " +
    "(PostgreSQL, as autovacuum would) or `ANALYZE` (PGlite).",
    "",
    `| table | ${results.map((r) => `${NAMES[r.backend]} rows | MiB`).join(" | ")} |`,
    `|---|${results.map(() => "---:|---:").join("|")}|`,
  ];
  for (const [i, { table }] of results[0]!.tables.entries()) {
    out.push(
      `| ${table} | ${
        results.map((r) => `${int(r.tables[i]!.rows)} | ${fmt(r.tables[i]!.mb)}`).join(" | ")
      } |`,
    );
  }
  out.push(`| whole database | ${results.map((r) => ` | ${fmt(r.databaseMb)}`).join(" | ")} |`);
  out.push("", "Generation time, s:", "");
  out.push(`| step | ${results.map((r) => NAMES[r.backend]).join(" | ")} |`);
  out.push(`|---|${results.map(() => "---:").join("|")}|`);
  for (const [i, { table }] of results[0]!.fill.tables.entries()) {
    out.push(`| ${table} | ${results.map((r) => fmt(r.fill.tables[i]!.ms / 1000)).join(" | ")} |`);
  }
  const row = (label: string, f: (r: QueryResult) => number) =>
    out.push(`| ${label} | ${results.map((r) => fmt(f(r))).join(" | ")} |`);
  row(
    `\`rollUp\` over ${results[0]!.fill.rollup.hours} h`,
    (r) => r.fill.rollup.ms / 1000,
  );
  row("older rollups", (r) => r.fill.olderRollupsMs / 1000);
  row("(VACUUM) ANALYZE", (r) => r.fill.analyzeMs / 1000);
  row("**total**", (r) => r.fillSeconds);
  out.push(
    "",
    `Each history API call through \`historyRoutes\` and \`app.request()\` (the body read and ` +
      `parsed), the last 24 hours unless said otherwise: median and max of ${options.runs} runs ` +
      "after a warm-up, ms.",
    "",
    `| query | ${results.map((r) => `${NAMES[r.backend]} median | max`).join(" | ")} |`,
    `|---|${results.map(() => "---:|---:").join("|")}|`,
  );
  for (const [i, q] of results[0]!.queries.entries()) {
    out.push(
      `| ${q.label} | ${
        results.map((r) => {
          const ms = r.queries[i]!.ms;
          const slow = q.targeted && quantile(ms, 0.5) >= HISTORY_TARGETS.queryMs;
          const median = fmt(quantile(ms, 0.5));
          return `${slow ? `**${median}**` : median} | ${fmt(ms.at(-1)!)}`;
        }).join(" | ")
      } |`,
    );
  }
  return out;
}

function checks(
  writes: WriteResult[],
  routing: RoutingResult | null,
  queries: QueryResult[],
): string[] {
  const out: string[] = [];
  for (const w of writes) {
    const s = w.sustained;
    const keeps = s.dropped === 0 && s.bufferedAfter2s === 0 && s.written === s.appended;
    out.push(
      `- Writes on ${NAMES[w.backend]}: burst ${
        int(w.burst.written / w.burst.ms * 1000)
      } rows/s; ` +
        `a steady ${int(s.appended / s.seconds)} rows/s ${
          keeps ? "kept up with" : "NOT kept up"
        } ` +
        `(target ${int(HISTORY_TARGETS.rowsPerSecond)} rows/s${
          w.backend === "postgres" ? "" : ", set for PostgreSQL"
        }): ${verdict(keeps && s.appended / s.seconds >= HISTORY_TARGETS.rowsPerSecond * 0.99)}.`,
    );
  }
  if (routing) {
    const off = routing.latency.get("history off")!.latencies;
    for (const name of ["PostgreSQL", "PGlite"] as const) {
      const l = routing.latency.get(name)!.latencies;
      const d50 = quantile(l, 0.5) - quantile(off, 0.5);
      const d99 = quantile(l, 0.99) - quantile(off, 0.99);
      const logged = routing.logged.get(name)!;
      const same = d50 <= HISTORY_TARGETS.sameP50Ms && d99 <= HISTORY_TARGETS.sameP99Ms;
      const fastest = routing.fast.get(name)!.rps;
      out.push(
        `- Routing with history on ${name} at concurrency 16: +${fmt(d50, 2)} ms p50, ` +
          `+${fmt(d99, 2)} ms p99 over history off (target: no effect, read as within ` +
          `${HISTORY_TARGETS.sameP50Ms} ms p50 and ${HISTORY_TARGETS.sameP99Ms} ms p99): ` +
          `${verdict(same)}. Fastest ${int(fastest)} req/s (history off: ` +
          `${int(routing.fast.get("history off")!.rps)}; target ` +
          `${int(HISTORY_TARGETS.requestsPerSecond)}: ${
            fastest >= HISTORY_TARGETS.requestsPerSecond ? "reached" : "not reached"
          }), ${int(logged.rows ?? 0)} of ${int(logged.sent)} requests logged: ` +
          `${verdict(logged.rows === logged.sent)}.`,
      );
    }
  }
  for (const q of queries) {
    const targeted = q.queries.filter((t) => t.targeted);
    const slow = targeted.filter((t) => quantile(t.ms, 0.5) >= HISTORY_TARGETS.queryMs);
    const worst = targeted.reduce((a, b) => quantile(a.ms, 0.5) >= quantile(b.ms, 0.5) ? a : b);
    out.push(
      `- 24-hour queries on ${NAMES[q.backend]} (target < ${HISTORY_TARGETS.queryMs} ms median` +
        `${q.backend === "postgres" ? "" : ", set for PostgreSQL"}): ${
          slow.length === 0 ? "all under" : `${slow.length} of ${targeted.length} over`
        }, slowest "${worst.label}" ${fmt(quantile(worst.ms, 0.5))} ms: ${
          verdict(slow.length === 0)
        }.`,
    );
  }
  return out;
}

/** Runs the benchmark and returns a Markdown report. */
export async function historyBench(options: Partial<HistoryBenchOptions> = {}): Promise<string> {
  const o = { ...HISTORY_BENCH_DEFAULTS, ...options };
  const writes: WriteResult[] = [];
  const queries: QueryResult[] = [];
  let routing: RoutingResult | null = null;
  if (o.parts.includes("writes")) {
    for (const backend of BACKENDS) {
      say(`${backend}: writes (a burst of ${o.burstRows}, then ${o.sustainedRate}/s)`);
      writes.push(await measureWrites(backend, o));
    }
  }
  if (o.parts.includes("routing")) routing = await measureRouting(o);
  if (o.parts.includes("queries")) {
    for (const backend of BACKENDS) queries.push(await measureQueries(backend, o));
  }
  const out: string[] = [];
  if (writes.length > 0) out.push(...writesReport(writes, o), "");
  if (routing) out.push(...routingReport(routing, o), "");
  if (queries.length > 0) out.push(...queriesReport(queries, o), "");
  out.push("Against the targets:", "", ...checks(writes, routing, queries));
  return out.join("\n");
}

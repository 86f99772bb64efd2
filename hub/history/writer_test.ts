import assert from "node:assert/strict";
import type { Db } from "./db.ts";
import { uuidv7 } from "./ids.ts";
import type { ServerEventRow, ServerRow } from "./tables.ts";
import { recordingLog, testBothBackends } from "./testing.ts";
import { HistoryWriter } from "./writer.ts";

/** The real database, made unreachable on demand (as a network error, which has no SQLSTATE). */
function flaky(db: Db): Db & { down: boolean } {
  const wrapper = {
    ...db,
    down: false,
    query<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
      if (wrapper.down) return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
      return db.query<T>(text, params);
    },
  };
  return wrapper;
}

let clock = Date.parse("2026-11-22T10:00:00Z");
function event(serverId: string, detail: string): ServerEventRow {
  clock += 1000;
  return {
    id: uuidv7(clock),
    time: new Date(clock).toISOString(),
    server_id: serverId,
    event: "online",
    previous: "offline",
    detail,
  };
}

function server(id: string, name: string, at: string): ServerRow {
  return {
    id,
    name,
    kind: "agent",
    url: "http://10.0.0.5:11435",
    status: "online",
    hostname: name,
    os: null,
    kernel: null,
    arch: null,
    cpu_model: null,
    boot_id: "b1",
    agent_version: "0.1.0",
    ollama_version: "0.12.0",
    gpus: [{ index: 0, uuid: "GPU-1", name: "RTX 4090", vendor: "nvidia", memoryTotal: 24e9 }],
    first_seen: at,
    last_seen: at,
  };
}

await testBothBackends("the writer batches rows and upserts servers", async (real) => {
  const log = recordingLog();
  const writer = new HistoryWriter({ db: real, batch: 3, log });
  for (let i = 0; i < 7; i++) writer.append("server_events", event("h1", `e${i}`));
  writer.upsertServer(server("h1", "gpu-1", "2026-11-22T10:00:00Z"));
  writer.upsertServer(server("h1", "gpu-one", "2026-11-22T11:00:00Z"));
  assert.equal(writer.buffered, 8, "one row per server, the newest");
  await writer.flush();
  assert.equal(writer.buffered, 0);
  const rows = await real.query<{ detail: string }>(
    "SELECT detail FROM server_events ORDER BY time",
  );
  assert.deepEqual(rows.map((r) => r.detail), ["e0", "e1", "e2", "e3", "e4", "e5", "e6"]);

  writer.upsertServer(server("h1", "gpu-one-renamed", "2026-11-22T12:00:00Z"));
  await writer.flush();
  const [row] = await real.query<
    { name: string; first_seen: Date; last_seen: Date; gpus: unknown }
  >(
    "SELECT name, first_seen, last_seen, gpus FROM servers",
  );
  assert.equal(row!.name, "gpu-one-renamed");
  assert.equal(row!.first_seen.toISOString(), "2026-11-22T11:00:00.000Z", "first sighting kept");
  assert.equal(row!.last_seen.toISOString(), "2026-11-22T12:00:00.000Z");
  assert.deepEqual(row!.gpus, [{
    index: 0,
    uuid: "GPU-1",
    name: "RTX 4090",
    vendor: "nvidia",
    memoryTotal: 24e9,
  }]);
  const health = writer.health();
  assert.equal(health.state, "ok");
  assert.equal(health.written, 9);
  assert.equal(health.backend, real.backend);
  await writer.stop();
});

await testBothBackends("while the database is away rows are kept up to the bound", async (real) => {
  const db = flaky(real);
  const log = recordingLog();
  let now = 1_000_000;
  const writer = new HistoryWriter({ db, bound: 5, batch: 100, log, now: () => now });
  await writer.flush(); // Up.
  db.down = true;
  for (let i = 0; i < 3; i++) writer.append("server_events", event("h1", `early${i}`));
  await writer.flush();
  let health = writer.health();
  assert.equal(health.state, "down");
  assert.equal(health.downSince, now);
  assert.match(health.lastError!, /ECONNREFUSED/);
  assert.equal(health.buffered, 3, "nothing lost on a failed write");
  assert.ok(
    log.lines.some((l) => /^warn history: cannot write to .*requests are not affected/.test(l)),
  );

  for (let i = 0; i < 4; i++) writer.append("server_events", event("h1", `late${i}`));
  health = writer.health();
  assert.equal(health.buffered, 5, "the bound");
  assert.equal(health.dropped, 2);
  assert.equal(log.lines.filter((l) => l.includes("buffer is full")).length, 1, "said once");

  now += 30_000;
  db.down = false;
  await writer.flush();
  health = writer.health();
  assert.equal(health.state, "ok");
  assert.equal(health.buffered, 0);
  assert.equal(health.downSince, null);
  assert.deepEqual(health.lastOutage, { start: 1_000_000, end: 1_030_000, dropped: 2 });
  const rows = await real.query<{ detail: string }>(
    "SELECT detail FROM server_events ORDER BY time",
  );
  assert.deepEqual(
    rows.map((r) => r.detail),
    ["early2", "late0", "late1", "late2", "late3"],
    "the oldest were dropped, the rest written in order",
  );
  assert.ok(
    log.lines.some((l) => /back after 30\.0 s.*2 rows were dropped/.test(l)),
    log.lines.join("\n"),
  );
  await writer.stop();
});

await testBothBackends("a row the database refuses is dropped, not its batch", async (db) => {
  const log = recordingLog();
  const writer = new HistoryWriter({ db, log });
  const bad = { ...event("h1", "bad"), event: "exploded" } as unknown as ServerEventRow;
  writer.append("server_events", event("h1", "good before"));
  writer.append("server_events", bad);
  writer.append("server_events", event("h1", "good after"));
  writer.append("model_events", {
    id: uuidv7(),
    time: new Date().toISOString(),
    server_id: "h1",
    model: "qwen3:8b",
    event: "load",
    digest: "abc",
    size: 5e9,
    size_vram: 5e9,
    loaded_ms: null,
    detail: null,
  });
  await writer.flush();
  const health = writer.health();
  assert.equal(health.state, "ok", "a refused row is not an outage");
  assert.equal(health.rejected, 1);
  assert.equal(health.buffered, 0);
  assert.equal((await db.query("SELECT 1 FROM model_events")).length, 1, "other tables go on");
  const kept = await db.query<{ detail: string }>("SELECT detail FROM server_events ORDER BY time");
  assert.deepEqual(kept.map((r) => r.detail), ["good before", "good after"]);
  assert.ok(
    log.lines.some((l) => /^error history: the database refused 1 of 3 server_events/.test(l)),
  );
  await writer.stop();
});

await testBothBackends(
  "a batch written twice (lost acknowledgement) is stored once",
  async (db) => {
    const writer = new HistoryWriter({ db, log: recordingLog() });
    const row = event("h1", "once");
    writer.append("server_events", row);
    writer.append("server_events", row);
    await writer.flush();
    assert.equal((await db.query("SELECT 1 FROM server_events")).length, 1);
    await writer.stop();
  },
);

import assert from "node:assert/strict";
import { uuidv7 } from "./ids.ts";
import { modelEvents, requestById, requests, serverEvents } from "./log_queries.ts";
import { parseCursor } from "./params.ts";
import { B0, H, iso, MIN, NOW, rejectsWith, request, REQUESTS, seed } from "./query_fixtures.ts";
import { INSERT, type ModelEventRow, type RequestLogRow, type ServerEventRow } from "./tables.ts";
import { testBothBackends } from "./testing.ts";

await testBothBackends("requests() and events page newest first, each row once", async (db) => {
  await seed(db);
  // Six timestamps, four rows each.
  const many: RequestLogRow[] = [];
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 4; j++) many.push(request(NOW - 10 * MIN + i * 1000, { endpoint: "/x" }));
  }
  // The newest of these ends the first page; the next differs from it by 100 µs only.
  many[16]!.time = "2025-03-10T11:50:04.000200Z";
  many[17]!.time = "2025-03-10T11:50:04.000100Z";
  await db.query(INSERT.request_logs, [many]);
  const range = { from: NOW - 11 * MIN, to: NOW };
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Awaited<ReturnType<typeof requests>> = await requests(db, {
      range,
      endpoint: "/x",
      limit: 5,
      cursor: cursor === null ? undefined : parseCursor(cursor),
    });
    seen.push(...page.requests.map((r) => r.id));
    cursor = page.next;
    if (pages++ === 1) {
      // Written while paging: newer than every page, so it shows on none of them.
      await db.query(INSERT.request_logs, [[request(NOW - MIN, { endpoint: "/x" })]]);
    }
  } while (cursor !== null);
  assert.equal(pages, 5);
  assert.equal(seen.length, many.length);
  assert.equal(new Set(seen).size, many.length, "no row twice");
  const micros = (time: string) => time.replace(/\.(\d+)Z$/, (_, f: string) => f.padEnd(6, "0"));
  const expected = [...many].sort((a, b) =>
    micros(b.time).localeCompare(micros(a.time)) || b.id.localeCompare(a.id)
  );
  assert.deepEqual(seen, expected.map((r) => r.id), "time, then id, descending");

  const all = { from: NOW - 4 * H, to: NOW };
  const ids = async (options: Omit<Parameters<typeof requests>[1], "range">) =>
    (await requests(db, { range: all, ...options })).requests.map((r) => r.id);
  const idsOf = (rows: RequestLogRow[]) => rows.map((r) => r.id).reverse();
  assert.deepEqual(await ids({ status: { class: 5 } }), [REQUESTS[4]!.id]);
  assert.deepEqual(await ids({ status: { code: 429 } }), [REQUESTS[5]!.id]);
  assert.deepEqual(await ids({ status: "error" }), idsOf(REQUESTS.slice(4, 7)));
  assert.equal((await ids({ status: "ok", endpoint: "/api/chat" })).length, 5);
  assert.deepEqual(await ids({ host: "gpu-2" }), idsOf([REQUESTS[4]!, REQUESTS[7]!]));
  assert.deepEqual(await ids({ key: "bob" }), [REQUESTS[4]!.id]);
  assert.deepEqual(await ids({ model: "llama3:8b", host: "agent-a" }), [REQUESTS[8]!.id]);
  assert.deepEqual(await ids({ endpoint: "/api/tags" }), [REQUESTS[9]!.id]);
  await rejectsWith(requests(db, { range: all, host: "gpu-7" }), 404, /No host "gpu-7" in history/);

  const one = await requestById(db, REQUESTS[4]!.id);
  assert.deepEqual(one, {
    id: REQUESTS[4]!.id,
    time: B0 + 5000,
    hub: "hub-1",
    apiKey: "bob",
    client: "curl/8",
    method: "POST",
    endpoint: "/api/chat",
    model: "llama3:8b",
    host: { id: "agent-b", name: "gpu-2" },
    route: "loaded",
    attempts: 1,
    queuedMs: null,
    status: 500,
    error: "upstream failed",
    stream: true,
    promptTokens: 10,
    completionTokens: 100,
    ttfbMs: null,
    durationMs: 1000,
    loadMs: null,
    bytesIn: 200,
    bytesOut: 4000,
  });
  assert.equal((await requestById(db, REQUESTS[9]!.id)).host, null);
  await rejectsWith(requestById(db, uuidv7(NOW)), 404, /^No request ".*" in history$/);

  const modelEvent = (
    ms: number,
    server: string,
    model: string,
    event: ModelEventRow["event"],
  ) => ({
    id: uuidv7(ms),
    time: iso(ms),
    server_id: server,
    model,
    event,
    digest: "sha256:abc",
    size: 5e9,
    size_vram: event === "load" ? 5e9 : null,
    loaded_ms: event === "unload" ? 60_000 : null,
    detail: null,
  });
  const loads = [
    modelEvent(NOW - 50 * MIN, "agent-a", "qwen3:8b", "load"),
    modelEvent(NOW - 40 * MIN, "agent-a", "qwen3:8b", "unload"),
    modelEvent(NOW - 40 * MIN, "agent-b", "llama3:8b", "load"),
    modelEvent(NOW - 30 * MIN, "ghost", "llama3:8b", "added"),
  ];
  await db.query(INSERT.model_events, [loads]);
  const hour = { from: NOW - H, to: NOW };
  const first = await modelEvents(db, { range: hour, limit: 3 });
  assert.equal(first.events.length, 3);
  assert.equal(first.events[0]!.host.name, "ghost", "a host history never named shows its id");
  const second = await modelEvents(db, { range: hour, limit: 3, cursor: parseCursor(first.next!) });
  assert.deepEqual(second.events.map((e) => e.id), [loads[0]!.id]);
  assert.equal(second.next, null);
  assert.deepEqual(second.events[0], {
    id: loads[0]!.id,
    time: NOW - 50 * MIN,
    host: { id: "agent-a", name: "gpu-1" },
    model: "qwen3:8b",
    event: "load",
    digest: "sha256:abc",
    size: 5e9,
    sizeVram: 5e9,
    loadedMs: null,
    detail: null,
  });
  const unloads = await modelEvents(db, { range: hour, host: "gpu-1", event: ["unload"] });
  assert.deepEqual(unloads.events.map((e) => [e.model, e.loadedMs]), [["qwen3:8b", 60_000]]);
  const llama = await modelEvents(db, { range: hour, model: "llama3:8b" });
  assert.equal(llama.events.length, 2);

  const serverEvent = (ms: number, server: string, event: ServerEventRow["event"]) => ({
    id: uuidv7(ms),
    time: iso(ms),
    server_id: server,
    event,
    previous: "online",
    detail: null,
  });
  await db.query(INSERT.server_events, [[
    serverEvent(NOW - 20 * MIN, "agent-old", "offline"),
    serverEvent(NOW - 10 * MIN, "agent-new", "discovered"),
    serverEvent(NOW - 5 * MIN, "agent-a", "reboot"),
  ]]);
  const gpu3 = await serverEvents(db, { range: hour, host: "gpu-3" });
  assert.deepEqual(
    gpu3.events.map((e) => [e.host.id, e.event]),
    [["agent-new", "discovered"], ["agent-old", "offline"]],
    "a name matches every host that had it",
  );
  const reboots = await serverEvents(db, { range: hour, event: ["reboot", "offline"] });
  assert.deepEqual(reboots.events.map((e) => e.event), ["reboot", "offline"]);
  const byId = await serverEvents(db, { range: hour, host: "agent-old" });
  assert.deepEqual(byId.events.map((e) => e.event), ["offline"], "an id matches that host only");
});

import assert from "node:assert/strict";
import { facets, hosts, resolveHosts } from "./host_queries.ts";
import { H, NOW, seed } from "./query_fixtures.ts";
import { testBothBackends } from "./testing.ts";

await testBothBackends(
  "hosts(), facets() and resolveHosts() read what history holds",
  async (db) => {
    await seed(db);
    const listed = await hosts(db);
    assert.deepEqual(listed.map((h) => [h.name, h.id]), [
      ["gpu-1", "agent-a"],
      ["gpu-2", "agent-b"],
      ["gpu-3", "agent-new"],
      ["gpu-3", "agent-old"],
    ]);
    assert.equal(listed[0]!.lastSeen, NOW);
    assert.equal(listed[0]!.gpus.length, 2);
    assert.equal(listed[0]!.agentVersion, "0.1.0");
    assert.deepEqual(await resolveHosts(db, "agent-old"), [{ id: "agent-old", name: "gpu-3" }]);
    assert.deepEqual((await resolveHosts(db, "gpu-3")).map((h) => h.id), [
      "agent-new",
      "agent-old",
    ]);
    await db.query(
      `INSERT INTO request_rollups VALUES ('2025-03-01T00:00:00Z', 'phi4', 'agent-old', 'carol',
      1, 0, 1, 1, 10, 10, 10, 10, 0, 0, null, null)`,
    );
    const recent = await facets(db, { from: NOW - H, to: NOW });
    assert.deepEqual(recent, {
      models: ["llama3:8b", "qwen3:8b"],
      hosts: [{ id: "agent-a", name: "gpu-1" }, { id: "agent-b", name: "gpu-2" }],
      keys: ["alice"],
    });
    const month = await facets(db, { from: NOW - 30 * 24 * H, to: NOW });
    assert.deepEqual(month.models, ["llama3:8b", "phi4", "qwen3:8b"], "rollups count too");
    assert.deepEqual(month.keys, ["alice", "bob", "carol"]);
    assert.deepEqual(month.hosts.map((h) => h.id), ["agent-a", "agent-b", "agent-old"]);
  },
);

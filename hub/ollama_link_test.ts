import assert from "node:assert/strict";
import type { AgentSnapshot } from "../shared/protocol.ts";
import { PROTOCOL_VERSION } from "../shared/protocol.ts";
import { resolveProfile } from "../scripts/sim/profile.ts";
import { startSimulator } from "../scripts/sim/server.ts";
import { startTestSim, waitFor } from "../tests/_utils.ts";
import { ollamaHostId, type OllamaLink, startOllamaLink } from "./ollama_link.ts";
import { QWEN3_8B_SHAPE } from "../shared/model_shape_testing.ts";

/**
 * A link polling `url` fast, recording what it hears. Its fetch reads each body whole before
 * handing it on, so that `quiet()` can tell when no request of the link's is open any more.
 */
function record(url: string, options: { tagsEveryMs?: number } = {}) {
  const snapshots: AgentSnapshot[] = [];
  const lost: string[] = [];
  const paths: string[] = [];
  let open = 0;
  const counting: typeof fetch = async (input, init) => {
    open++;
    try {
      paths.push(new URL(String(input)).pathname);
      const response = await fetch(input, init);
      const body = await response.arrayBuffer();
      return new Response(body, { status: response.status, headers: response.headers });
    } finally {
      open--;
    }
  };
  const link: OllamaLink = startOllamaLink({
    id: ollamaHostId(url),
    name: "plain",
    url: `${url}/`,
    slots: 3,
    psEveryMs: 20,
    tagsEveryMs: options.tagsEveryMs ?? 60_000,
    fetch: counting,
    onSnapshot: (s) => snapshots.push(s),
    onLost: (reason) => lost.push(reason),
  });
  const quiet = async () => {
    link.stop();
    await waitFor("the link's requests to end", () => open === 0);
  };
  return { link, snapshots, lost, paths, quiet, last: () => snapshots.at(-1) };
}

Deno.test("ollamaHostId() names a plain Ollama after its host and port", () => {
  assert.equal(ollamaHostId("http://10.0.0.9:11434"), "ollama:10.0.0.9:11434");
  assert.equal(ollamaHostId("http://10.0.0.9:11434/"), "ollama:10.0.0.9:11434");
  assert.equal(ollamaHostId("http://GPU-Box:8080/ollama"), "ollama:gpu-box:8080");
  assert.equal(ollamaHostId("http://[::1]:11434"), "ollama:[::1]:11434");
  assert.notEqual(ollamaHostId("http://a:11434"), ollamaHostId("http://a:11435"));
});

Deno.test("startOllamaLink() assembles a snapshot from /api/ps, /api/tags and /api/version", async () => {
  await using sim = startTestSim();
  const { snapshots, lost, quiet, last } = record(sim.url);
  await waitFor("a snapshot", () => snapshots.length > 0);
  const s = last()!;
  assert.equal(s.v, PROTOCOL_VERSION);
  assert.equal(s.agent.id, ollamaHostId(sim.url));
  assert.equal(s.agent.name, "plain");
  assert.equal(s.host.hostname, "127.0.0.1");
  assert.equal(s.host.bootId, "", "no boot id: the registry never sees a reboot");
  assert.deepEqual(s.gpus.gpus, []);
  assert.deepEqual(
    [s.ollama.reachable, s.ollama.version, s.ollama.error, s.ollama.slots],
    [true, "0.33.0", null, 3],
  );
  assert.deepEqual(
    s.ollama.models.map((m) => m.name).sort(),
    ["gemma3:4b", "llama3.2:3b", "nomic-embed-text:latest", "qwen3:8b"],
  );
  assert.ok(s.ollama.models.every((m) => m.size > 0 && m.digest !== ""));
  assert.deepEqual(s.ollama.loaded, []);
  assert.deepEqual(lost, []);
  await quiet();
});

Deno.test("startOllamaLink() fills each model's shape from /api/show, once per digest", async () => {
  await using sim = startTestSim();
  const { link, snapshots, paths, quiet, last } = record(sim.url);
  await waitFor("a snapshot", () => snapshots.length > 0);
  const byName = new Map(last()!.ollama.models.map((m) => [m.name, m.shape]));
  assert.deepEqual(byName.get("qwen3:8b"), QWEN3_8B_SHAPE);
  assert.equal(byName.get("nomic-embed-text:latest")?.embedding, true);
  assert.ok([...byName.values()].every((shape) => shape != null));
  const shows = () => paths.filter((p) => p === "/api/show").length;
  assert.equal(shows(), 4, "one /api/show per model");
  link.refresh();
  const tags = paths.filter((p) => p === "/api/tags").length;
  await waitFor("the tags again", () => paths.filter((p) => p === "/api/tags").length > tags);
  await waitFor("a snapshot after them", () => snapshots.length > 3);
  assert.equal(shows(), 4, "known digests are not shown again");
  assert.ok(last()!.ollama.models.every((m) => m.shape != null), "models keep their shapes");
  await quiet();
});

Deno.test("startOllamaLink() leaves a shape null when /api/show fails", async () => {
  await using sim = startTestSim();
  const faults = await fetch(`${sim.url}/_sim/faults`, {
    method: "POST",
    body: JSON.stringify({ fail: { count: 1000, status: 500, path: "/api/show" } }),
  });
  await faults.body?.cancel();
  const { snapshots, lost, quiet, last } = record(sim.url);
  await waitFor("a snapshot", () => snapshots.length > 0);
  assert.equal(last()!.ollama.models.length, 4);
  assert.ok(last()!.ollama.models.every((m) => m.shape === null));
  assert.deepEqual(lost, [], "a failed /api/show does not lose the server");
  await quiet();
});

Deno.test("startOllamaLink() sees a model loaded on the server, and its tags again", async () => {
  await using sim = startTestSim();
  const { snapshots, paths, quiet, last } = record(sim.url);
  await waitFor("a snapshot", () => snapshots.length > 0);
  await waitFor("a few polls", () => snapshots.length >= 3);
  const tagsBefore = paths.filter((p) => p === "/api/tags").length;
  assert.equal(tagsBefore, 1, "tags are not fetched on every poll");

  const load = await fetch(`${sim.url}/api/generate`, {
    method: "POST",
    body: JSON.stringify({ model: "llama3.2:3b", prompt: "", stream: false }),
  });
  assert.equal(load.status, 200);
  await load.body?.cancel();

  const loaded = await waitFor("the loaded model", () => {
    const models = last()!.ollama.loaded;
    return models.length > 0 && models;
  });
  assert.equal(loaded[0]!.name, "llama3.2:3b");
  assert.ok(loaded[0]!.size > 0);
  assert.ok(loaded[0]!.sizeVram > 0);
  assert.ok(
    paths.filter((p) => p === "/api/tags").length > tagsBefore,
    "a change in /api/ps fetches the tags again",
  );
  const seqs = snapshots.map((s) => s.seq);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), "seq grows by one per snapshot");
  await quiet();
});

Deno.test("startOllamaLink() refresh() fetches the tags at the next poll", async () => {
  await using sim = startTestSim();
  const { link, snapshots, paths, quiet } = record(sim.url);
  await waitFor("a few polls", () => snapshots.length >= 3);
  const tags = () => paths.filter((p) => p === "/api/tags").length;
  assert.equal(tags(), 1);
  link.refresh();
  await waitFor("the tags again", () => tags() === 2);
  await quiet();
});

Deno.test("startOllamaLink() reports the server lost once when it stops, and back when it returns", async () => {
  const profile = resolveProfile({});
  const first = startSimulator({ profile, speed: 200, port: 0 });
  const { snapshots, lost, quiet } = record(first.url);
  await waitFor("a snapshot", () => snapshots.length > 0);
  await first.close();
  await waitFor("the loss", () => lost.length > 0);
  assert.match(lost[0]!, /^Ollama does not answer: connection refused$/);
  const before = snapshots.length;
  await new Promise((resolve) => setTimeout(resolve, 100)); // several failed polls
  assert.equal(lost.length, 1, "a server that stays down is reported once");
  assert.equal(snapshots.length, before);

  const second = startSimulator({ profile, speed: 200, port: first.port });
  try {
    await waitFor("a snapshot after the restart", () => snapshots.length > before, 3000);
    assert.equal(snapshots.at(-1)!.ollama.version, "0.33.0");
    await quiet();
  } finally {
    await second.close();
  }
});

Deno.test("startOllamaLink() reports a server that never answered", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const { snapshots, lost, quiet } = record(`http://127.0.0.1:${port}`);
  await waitFor("the loss", () => lost.length > 0);
  assert.match(lost[0]!, /connection refused/);
  assert.equal(snapshots.length, 0);
  await quiet();
});

Deno.test("startOllamaLink() reports an HTTP error from the server", async () => {
  await using sim = startTestSim();
  const faults = await fetch(`${sim.url}/_sim/faults`, {
    method: "POST",
    body: JSON.stringify({ fail: { count: 1000, status: 500, path: "/api/ps" } }),
  });
  await faults.body?.cancel();
  const { lost, snapshots, quiet } = record(sim.url);
  await waitFor("the loss", () => lost.length > 0);
  assert.equal(lost[0], "Ollama does not answer: HTTP 500 from /api/ps");
  assert.equal(snapshots.length, 0);
  await quiet();
});

Deno.test("startOllamaLink() stop() ends the polling", async () => {
  await using sim = startTestSim();
  const { snapshots, paths, quiet } = record(sim.url);
  await waitFor("a snapshot", () => snapshots.length > 0);
  await quiet();
  const [count, requests] = [snapshots.length, paths.length];
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(snapshots.length, count);
  assert.equal(paths.length, requests);
});

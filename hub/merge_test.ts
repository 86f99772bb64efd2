import assert from "node:assert/strict";
import { modelKey } from "../shared/model_name.ts";
import type { ListModel, ProcessModel } from "../shared/ollama.ts";
import { createSimApp } from "../scripts/sim/app.ts";
import { type ProfileInput, resolveProfile } from "../scripts/sim/profile.ts";
import { Simulator } from "../scripts/sim/simulator.ts";
import {
  type HostPs,
  type HostTags,
  mergePs,
  mergeTags,
  placement,
  toOpenAIModel,
  toOpenAIModels,
} from "./merge.ts";

const A = { id: "a1", name: "alpha" };
const B = { id: "b2", name: "beta" };
const C = { id: "c3", name: "gamma" };
const hex = (c: string) => c.repeat(64);

function listModel(name: string, fields: Partial<ListModel> = {}): ListModel {
  return {
    name,
    model: name,
    modified_at: "2026-05-10T08:06:48.639712648-07:00",
    size: 5_225_376_047,
    digest: hex("a"),
    details: {
      parent_model: "",
      format: "gguf",
      family: "qwen3",
      families: ["qwen3"],
      parameter_size: "8.2B",
      quantization_level: "Q4_K_M",
    },
    capabilities: ["completion", "tools"],
    ...fields,
  };
}

function processModel(name: string, fields: Partial<ProcessModel> = {}): ProcessModel {
  return {
    name,
    model: name,
    size: 6_654_289_920,
    digest: hex("a"),
    details: {
      parent_model: "",
      format: "gguf",
      family: "qwen3",
      families: ["qwen3"],
      parameter_size: "8.2B",
      quantization_level: "Q4_K_M",
    },
    expires_at: "2026-08-21T10:05:00.123456789-07:00",
    size_vram: 6_654_289_920,
    context_length: 4096,
    ...fields,
  };
}

/** A simulator and its HTTP app, closed with `using`. */
function sim(profile: ProfileInput) {
  const simulator = new Simulator({ profile: resolveProfile({ overrides: profile }), speed: 1000 });
  const app = createSimApp(simulator);
  const get = async (path: string) => await (await app.request(`http://localhost${path}`)).json();
  return { simulator, get, [Symbol.dispose]: () => simulator.close() };
}

Deno.test("mergeTags() collapses a model that several hosts have into one entry, sizes not added", () => {
  const merged = mergeTags([
    { host: A, models: [listModel("qwen3:8b"), listModel("llama3.2:3b", { size: 2_019_393_189 })] },
    { host: B, models: [listModel("qwen3:8b")] },
    { host: C, models: [listModel("QWEN3:8b")] },
  ]);
  assert.deepEqual(merged.models.map((m) => m.name).sort(), ["llama3.2:3b", "qwen3:8b"]);
  assert.equal(merged.models.find((m) => m.name === "qwen3:8b")!.size, 5_225_376_047);
});

Deno.test("mergeTags() keeps the whole entry with the newest modified_at when digests differ", () => {
  const old = listModel("qwen3:8b", {
    digest: hex("1"),
    size: 100,
    modified_at: "2026-05-10T08:00:00Z",
  });
  const newer = listModel("qwen3:8b", {
    digest: hex("2"),
    size: 200,
    modified_at: "2026-06-01T08:00:00+02:00",
    capabilities: ["completion", "thinking"],
    details: { ...listModel("x").details, parent_model: "base", context_length: 40960 } as never,
    remote_host: "https://example.com",
  } as Partial<ListModel>);
  for (const order of [[old, newer], [newer, old]]) {
    const merged = mergeTags([{ host: A, models: [order[0]!] }, { host: B, models: [order[1]!] }]);
    assert.deepEqual(merged.models, [newer]);
  }
});

Deno.test("mergeTags() sorts newest first, comparing instants across offsets and nanoseconds", () => {
  const times: [string, string][] = [
    ["plus-two:latest", "2026-05-10T16:00:00+02:00"], // 14:00Z
    ["minus-seven:latest", "2026-05-10T08:00:00-07:00"], // 15:00Z
    ["utc:latest", "2026-05-10T14:30:00Z"], // 14:30Z
    ["nano-one:latest", "2026-05-10T13:00:00.000000001Z"],
    ["nano-two:latest", "2026-05-10T13:00:00.000000002Z"],
    ["half-past:latest", "2026-05-10T18:29:59.5+05:30"], // 12:59:59.5Z
  ];
  const merged = mergeTags([
    { host: A, models: times.slice(0, 3).map(([n, t]) => listModel(n, { modified_at: t })) },
    { host: B, models: times.slice(3).map(([n, t]) => listModel(n, { modified_at: t })) },
  ]);
  assert.deepEqual(merged.models.map((m) => m.name), [
    "minus-seven:latest",
    "utc:latest",
    "plus-two:latest",
    "nano-two:latest",
    "nano-one:latest",
    "half-past:latest",
  ]);
  // Timestamps are passed through as the host wrote them.
  assert.equal(merged.models[0]!.modified_at, "2026-05-10T08:00:00-07:00");
});

Deno.test("mergeTags() drops invalid names and writes the others in Ollama's display form", () => {
  const merged = mergeTags([{
    host: A,
    models: [
      listModel("llama3.2", { model: "llama3.2" }),
      listModel("registry.ollama.ai/library/Qwen3", { modified_at: "2026-01-01T00:00:00Z" }),
      listModel("-bad:tag"),
      listModel("a/b/c/d:e"),
      listModel(""),
      { ...listModel("x"), name: 42, model: 42 } as unknown as ListModel,
      // No name: `model` stands in, as the two are the same display name in Ollama's answer.
      { ...listModel("x", { modified_at: "2025-01-01T00:00:00Z" }), name: undefined, model: "y" },
    ] as ListModel[],
  }]);
  assert.deepEqual(merged.models.map((m) => [m.name, m.model]), [
    ["llama3.2:latest", "llama3.2:latest"],
    ["Qwen3:latest", "Qwen3:latest"],
    ["y:latest", "y:latest"],
  ]);
});

Deno.test("mergeTags() answers an empty list for an empty fleet or empty hosts", () => {
  assert.deepEqual(mergeTags([]), { models: [] });
  assert.deepEqual(
    mergeTags([
      { host: A, models: [] },
      { host: B, models: null as unknown as ListModel[] },
      { host: C, models: [null, "x"] as unknown as ListModel[] },
    ]),
    { models: [] },
  );
  assert.equal(JSON.stringify(mergeTags([])), `{"models":[]}`);
});

Deno.test("mergeTags() makes odd entries well-typed: integer sizes, hex digests, RFC 3339 times", () => {
  // What llama-server's Ollama-compatible /api/tags sends (OLLAMA_API.md §7.2), and a prefixed digest.
  const odd = {
    name: "tiny.gguf",
    model: "tiny.gguf",
    modified_at: "",
    size: "",
    digest: "",
    details: { format: "gguf" },
  } as unknown as ListModel;
  const prefixed = listModel("qwen3:8b", {
    digest: "sha256:" + hex("A"),
    size: "123" as unknown as number,
  });
  const merged = mergeTags([{ host: A, models: [odd, prefixed] }]);
  const [first, second] = merged.models;
  assert.equal(first!.name, "qwen3:8b");
  assert.equal(first!.digest, hex("a"));
  assert.equal(first!.size, 123);
  assert.equal(second!.name, "tiny.gguf:latest");
  assert.equal(second!.size, 0);
  assert.match(second!.digest, /^[0-9a-f]{64}$/);
  assert.equal(second!.modified_at, "0001-01-01T00:00:00Z");
  assert.deepEqual(second!.details, {
    parent_model: "",
    format: "gguf",
    family: "",
    families: null,
    parameter_size: "",
    quantization_level: "",
  });
});

Deno.test("mergeTags() of one Ollama host returns its body unchanged", async () => {
  using s = sim({ models: ["qwen3:8b", "llama3.2:3b", { name: "me/custom:v1", size: 1e9 }] });
  const tags = await s.get("/api/tags");
  assert.equal(tags.models.length, 3);
  assert.deepEqual(mergeTags([{ host: A, models: tags.models }]), tags);
  assert.deepEqual(
    mergeTags([{ host: A, models: tags.models }, { host: B, models: tags.models }]),
    tags,
  );
});

Deno.test("mergePs() collapses a model loaded on several hosts into the entry that expires last", () => {
  const early = processModel("qwen3:8b", {
    expires_at: "2026-08-21T10:05:00-07:00", // 17:05Z
    size: 9_000_000_000,
    size_vram: 9_000_000_000,
    context_length: 32768,
  });
  const late = processModel("qwen3:8b", {
    expires_at: "2026-08-21T19:10:00+02:00", // 17:10Z
    size: 7_000_000_000,
    size_vram: 3_500_000_000,
    context_length: 4096,
  });
  for (const order of [[early, late], [late, early]]) {
    const merged = mergePs([{ host: A, models: [order[0]!] }, { host: B, models: [order[1]!] }]);
    // Whole, not mixed: size and size_vram of one runner, so "50% GPU" stays true.
    assert.deepEqual(merged.models, [late]);
  }
});

Deno.test("mergePs() sorts by expires_at descending, a forever keep_alive first", () => {
  const merged = mergePs([
    {
      host: A,
      models: [
        processModel("soon:latest", { expires_at: "2026-08-21T10:00:00Z" }),
        processModel("forever:latest", { expires_at: "2318-01-25T09:00:00.5-07:00" }),
      ],
    },
    {
      host: B,
      models: [
        processModel("later:latest", { expires_at: "2026-08-21T09:00:00-07:00" }), // 16:00Z
        processModel("Soon", { expires_at: "2026-08-21T09:30:00Z" }),
      ],
    },
  ]);
  assert.deepEqual(merged.models.map((m) => [m.name, m.expires_at]), [
    ["forever:latest", "2318-01-25T09:00:00.5-07:00"],
    ["later:latest", "2026-08-21T09:00:00-07:00"],
    ["soon:latest", "2026-08-21T10:00:00Z"],
  ]);
  assert.deepEqual(mergePs([]), { models: [] });
});

Deno.test("mergePs() of one Ollama host returns its body unchanged", async () => {
  using s = sim({ models: ["llama3.2:3b", "qwen3:8b"], preload: ["llama3.2:3b", "qwen3:8b"] });
  await s.simulator.preload();
  const ps = await s.get("/api/ps");
  assert.equal(ps.models.length, 2);
  assert.deepEqual(mergePs([{ host: A, models: ps.models }]), ps);
});

Deno.test("placement() lists each host's models on disk and loaded, by host name", () => {
  const tags: HostTags[] = [
    { host: A, models: [listModel("qwen3:8b"), listModel("llama3.2"), listModel("-bad")] },
    { host: B, models: [listModel("QWEN3:8B"), listModel("qwen3:8b")] },
  ];
  const ps: HostPs[] = [
    { host: A, models: [processModel("qwen3:8b")] },
    { host: C, models: [processModel("gemma3:4b")] },
  ];
  assert.deepEqual(placement(tags, ps), {
    alpha: { onDisk: ["llama3.2:latest", "qwen3:8b"], loaded: ["qwen3:8b"] },
    beta: { onDisk: ["QWEN3:8B"], loaded: [] },
    gamma: { onDisk: [], loaded: ["gemma3:4b"] },
  });
  assert.deepEqual(Object.keys(placement([{ host: B, models: [] }, { host: A, models: [] }], [])), [
    "alpha",
    "beta",
  ]);
});

Deno.test("placement() keys hosts that share a name by name and id", () => {
  const result = placement([
    { host: { id: "x", name: "gpu" }, models: [listModel("a")] },
    { host: { id: "y", name: "gpu" }, models: [listModel("b")] },
    { host: { id: "z", name: "__proto__" }, models: [] },
  ], []);
  assert.deepEqual(Object.keys(result), ["__proto__", "gpu (x)", "gpu (y)"]);
  assert.deepEqual(result["gpu (y)"], { onDisk: ["b:latest"], loaded: [] });
  assert.equal(Object.getPrototypeOf(result), Object.prototype);
});

Deno.test("toOpenAIModels() of merged tags is what Ollama's /v1/models returns", async () => {
  using s = sim({
    models: [
      "qwen3:8b",
      "llama3.2:3b",
      { name: "me/custom:v1", size: 1e9 },
      { name: "example.com/team/tool:q4", size: 2e9 },
    ],
  });
  const tags = await s.get("/api/tags");
  const expected = await s.get("/v1/models");
  assert.equal(expected.data.length, 4);
  assert.deepEqual(
    toOpenAIModels(mergeTags([{ host: A, models: tags.models }, { host: B, models: tags.models }])),
    expected,
  );
  assert.deepEqual(
    expected.data.map((m: { owned_by: string }) => m.owned_by).sort(),
    ["library", "library", "me", "team"],
  );
});

Deno.test("toOpenAIModels() answers data: null when there are no models, as Ollama does", async () => {
  using s = sim({ models: [] });
  const expected = await s.get("/v1/models");
  assert.deepEqual(expected, { object: "list", data: null });
  assert.deepEqual(toOpenAIModels(mergeTags([])), expected);
  assert.equal(JSON.stringify(toOpenAIModels({ models: [] })), `{"object":"list","data":null}`);
});

Deno.test("toOpenAIModel() echoes the requested id as Ollama's /v1/models/:id does", async () => {
  using s = sim({ models: ["qwen3:8b", { name: "me/custom:v1", size: 1e9 }] });
  const tags = mergeTags([{ host: A, models: (await s.get("/api/tags")).models }]);
  for (const id of ["qwen3:8b", "QWEN3:8B", "library/qwen3:8b", "me/custom:v1", "ME/Custom:v1"]) {
    const expected = await s.get(`/v1/models/${encodeURIComponent(id)}`);
    const entry = tags.models.find((m) => modelKey(m.name) === modelKey(id))!;
    assert.deepEqual(toOpenAIModel(id, entry), expected, id);
  }
});

Deno.test("toOpenAIModel() takes created from modified_at in Unix seconds, rounding down", () => {
  const entry = listModel("qwen3:8b", { modified_at: "2026-05-10T08:06:48.999999999-07:00" });
  assert.deepEqual(toOpenAIModel("qwen3:8b", entry), {
    id: "qwen3:8b",
    object: "model",
    created: Date.UTC(2026, 4, 10, 15, 6, 48) / 1000,
    owned_by: "library",
  });
});

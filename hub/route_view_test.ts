import assert from "node:assert/strict";
import { modelKey } from "../shared/model_name.ts";
import type { AgentSnapshot, DiskModel, GpuSample, LoadedModel } from "../shared/protocol.ts";
import {
  DISK_FULL_FRACTION,
  HOT_GPU_CELSIUS,
  LOW_MEMORY_FRACTION,
  reportedInFlight,
  toRouteHost,
} from "./route_view.ts";
import type { RouteHost } from "./host.ts";
import { testGpu, testSnapshot } from "./snapshot_testing.ts";
import { QWEN3_8B_SHAPE } from "../shared/model_shape_testing.ts";

const GB = 1e9;

function gpu(memoryTotal: number | null, memoryUsed: number | null, temperature = 50): GpuSample {
  return testGpu({ memoryTotal, memoryUsed, temperature });
}

function disk(name: string, size: number): DiskModel {
  return {
    name,
    digest: "d",
    size,
    modifiedAt: "",
    family: "",
    parameterSize: "",
    quantization: "",
  };
}

function loaded(name: string, size: number): LoadedModel {
  return { name, digest: "d", size, sizeVram: size, contextLength: null, expiresAt: null };
}

/** A host with 64 GB of RAM (half available), no GPUs and no models; `edit` adds what a test needs. */
function snapshot(edit: (s: AgentSnapshot) => void = () => {}): AgentSnapshot {
  return testSnapshot((s) => {
    s.host.bootId = "b";
    s.metrics.cpuUtilization = null;
    s.metrics.uptimeSeconds = 1;
    s.ollama.slots = 2;
    edit(s);
  });
}

function view(snap: AgentSnapshot | null): RouteHost {
  return toRouteHost({
    id: "a1",
    name: "Alpha",
    status: "online",
    ollamaReachable: true,
    snapshot: snap,
    loadRate: 1.5 * GB,
  });
}

Deno.test("toRouteHost() keys loaded and on-disk models by model key", () => {
  const host = view(snapshot((s) => {
    s.ollama.models = [disk("llama3.2:latest", 2 * GB), disk("qwen3:8b", 5 * GB)];
    s.ollama.loaded = [loaded("llama3.2", 3 * GB)];
  }));
  const llama = modelKey("llama3.2")!;
  assert.equal(llama, modelKey("llama3.2:latest"));
  assert.deepEqual([...host.onDisk.keys()].sort(), [llama, modelKey("qwen3:8b")!].sort());
  assert.deepEqual(host.onDisk.get(llama), { size: 2 * GB, contextLength: null, shape: null });
  assert.deepEqual([...host.loaded.keys()], [llama]);
  assert.deepEqual(host.loaded.get(modelKey("LLAMA3.2:latest")!), {
    size: 3 * GB,
    contextLength: null,
    shape: null,
  });
  assert.equal(host.loaded.has(modelKey("qwen3:8b")!), false);
});

Deno.test("toRouteHost() carries what the memory model needs: shapes, contexts, settings", () => {
  const shape = QWEN3_8B_SHAPE;
  const host = view(snapshot((s) => {
    s.ollama.models = [{ ...disk("qwen3:8b", 5 * GB), shape }];
    s.ollama.loaded = [{ ...loaded("qwen3:8b", 6 * GB), contextLength: 8192 }];
    s.ollama.contextLength = 16384;
    s.gpus.gpus = [gpu(24 * GB, 6 * GB), gpu(24 * GB, 0)];
  }));
  const key = modelKey("qwen3:8b")!;
  assert.deepEqual(host.onDisk.get(key)?.shape, shape);
  assert.equal(host.loaded.get(key)?.contextLength, 8192);
  assert.equal(host.contextLength, 16384);
  assert.equal(host.maxLoaded, 6); // Ollama's default: three per GPU
  assert.equal(view(snapshot()).maxLoaded, 3); // a CPU-only host: three
  assert.equal(view(snapshot()).contextLength, 0); // an agent that says nothing: Ollama's tiers
});

Deno.test("toRouteHost() skips model names that are not valid", () => {
  const host = view(snapshot((s) => {
    s.ollama.models = [disk("", 1), disk("a/b/c/d", 1), disk("ok", 1)];
  }));
  assert.deepEqual([...host.onDisk.keys()], [modelKey("ok")!]);
});

Deno.test("toRouteHost() sums VRAM over GPUs and ignores one whose memory is unknown", () => {
  const host = view(snapshot((s) => {
    s.gpus.gpus = [gpu(24 * GB, 4 * GB), gpu(null, null), gpu(12 * GB, 2 * GB)];
  }));
  assert.equal(host.totalVram, 36 * GB);
  assert.equal(host.freeVram, 30 * GB);
});

Deno.test("toRouteHost() counts no negative free memory on an over-reported GPU", () => {
  const host = view(snapshot((s) => {
    s.gpus.gpus = [gpu(8 * GB, 9 * GB), gpu(8 * GB, 2 * GB)];
  }));
  assert.equal(host.freeVram, 6 * GB);
});

Deno.test("toRouteHost() uses RAM on a CPU-only host", () => {
  const host = view(snapshot());
  assert.equal(host.totalVram, 64 * GB);
  assert.equal(host.freeVram, 32 * GB);
});

Deno.test("toRouteHost() sees no memory and no penalties without a snapshot", () => {
  const host = view(null);
  assert.equal(host.totalVram, 0);
  assert.equal(host.freeVram, 0);
  assert.equal(host.slots, 1);
  assert.equal(host.loaded.size, 0);
  assert.equal(host.onDisk.size, 0);
  assert.deepEqual([host.hot, host.lowMemory, host.diskFull], [false, false, false]);
  assert.equal(host.loadRate, 1.5 * GB);
});

Deno.test("toRouteHost() marks a host hot at 90 °C and not below", () => {
  const at = (celsius: number) =>
    view(snapshot((s) => (s.gpus.gpus = [gpu(24 * GB, 0, 40), gpu(24 * GB, 0, celsius)]))).hot;
  assert.equal(HOT_GPU_CELSIUS, 90);
  assert.equal(at(89), false);
  assert.equal(at(90), true);
  assert.equal(at(95), true);
  const unknown = view(snapshot((s) => {
    s.gpus.gpus = [{ ...gpu(24 * GB, 0), temperature: null }];
  }));
  assert.equal(unknown.hot, false);
});

Deno.test("toRouteHost() marks a host low on memory under 10 % available", () => {
  const at = (available: number) =>
    view(snapshot((s) => {
      s.metrics.memoryTotal = 100 * GB;
      s.metrics.memoryAvailable = available;
    })).lowMemory;
  assert.equal(LOW_MEMORY_FRACTION, 0.1);
  assert.equal(at(9.9 * GB), true);
  assert.equal(at(10 * GB), false);
  assert.equal(at(50 * GB), false);
  // A plain Ollama reports no memory at all: that is not "low".
  const noMetrics = view(snapshot((s) => {
    s.metrics.memoryTotal = 0;
    s.metrics.memoryAvailable = 0;
  }));
  assert.equal(noMetrics.lowMemory, false);
});

Deno.test("toRouteHost() marks the disk full at 90 % used on any disk", () => {
  const at = (...used: number[]) =>
    view(snapshot((s) => {
      s.metrics.disks = used.map((u, i) => ({
        path: `/d${i}`,
        total: 100,
        used: u,
        free: 100 - u,
      }));
    })).diskFull;
  assert.equal(DISK_FULL_FRACTION, 0.9);
  assert.equal(at(89), false);
  assert.equal(at(90), true);
  assert.equal(at(10, 95), true);
  assert.equal(
    view(snapshot((s) => (s.metrics.disks = [{ path: "/", total: 0, used: 0, free: 0 }]))).diskFull,
    false,
  );
});

Deno.test("toRouteHost() gives every host at least one slot", () => {
  assert.equal(view(snapshot()).slots, 2);
  assert.equal(view(snapshot((s) => (s.ollama.slots = 0))).slots, 1);
  assert.equal(view(snapshot((s) => (s.ollama.slots = 4))).slots, 4);
});

Deno.test("toRouteHost() copies identity, status, reachability and load rate", () => {
  const host = toRouteHost({
    id: "x",
    name: "X",
    status: "degraded",
    ollamaReachable: false,
    snapshot: snapshot(),
    loadRate: 7,
  });
  assert.deepEqual(
    [host.id, host.name, host.status, host.ollamaReachable, host.loadRate],
    ["x", "X", "degraded", false, 7],
  );
});

Deno.test("reportedInFlight() sums the agent's counts by model key", () => {
  const counts = reportedInFlight(snapshot((s) => {
    s.inFlight = { "llama3.2": 1, "llama3.2:latest": 2, "Qwen3:8b": 4, "bad/name/a/b": 9 };
  }));
  assert.deepEqual(
    counts,
    new Map([[modelKey("llama3.2")!, 3], [modelKey("qwen3:8b")!, 4]]),
  );
  assert.deepEqual(reportedInFlight(null), new Map());
});

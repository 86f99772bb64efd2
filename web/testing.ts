/**
 * Test data for the dashboard's unit tests: a {@link HostView} with a believable agent snapshot,
 * changed by a few options.
 *
 * @module
 */

import type { HostView, PullJob } from "../shared/dashboard.ts";
import type { AgentSnapshot, DiskModel, GpuSample, LoadedModel } from "../shared/protocol.ts";

const GB = 1e9;

/** A GPU: 24 GB, 8 used, 40 % busy, 60 °C unless told otherwise. */
export function gpu(overrides: Partial<GpuSample> = {}): GpuSample {
  return {
    index: 0,
    uuid: null,
    name: "NVIDIA GeForce RTX 4090",
    vendor: "nvidia",
    memoryTotal: 24 * GB,
    memoryUsed: 8 * GB,
    utilization: 40,
    temperature: 60,
    powerDraw: 200,
    powerLimit: 450,
    mig: false,
    ...overrides,
  };
}

/** A model on disk. */
export function diskModel(name: string, size = 5 * GB): DiskModel {
  return {
    name,
    digest: `sha256:${name}`,
    size,
    modifiedAt: "2026-11-01T00:00:00Z",
    family: "qwen3",
    parameterSize: "8B",
    quantization: "Q4_K_M",
  };
}

/** A loaded model. */
export function loadedModel(name: string, sizeVram = 6 * GB): LoadedModel {
  return {
    name,
    digest: `sha256:${name}`,
    size: sizeVram,
    sizeVram,
    contextLength: 4096,
    expiresAt: "2026-11-22T18:00:00Z",
  };
}

/** Options for {@link host}. */
export interface HostOptions extends Partial<Omit<HostView, "snapshot">> {
  gpus?: GpuSample[];
  models?: string[];
  loaded?: string[];
  memoryTotal?: number;
  memoryAvailable?: number;
  disk?: { total: number; used: number };
  snapshot?: null;
}

/** A host online with one GPU, the given models on disk and loaded. */
export function host(id: string, options: HostOptions = {}): HostView {
  const { gpus, models = [], loaded = [], memoryTotal, memoryAvailable, disk, ...view } = options;
  const snapshot: AgentSnapshot = {
    v: 1,
    seq: 1,
    time: 1_000,
    agent: { id, name: id, version: "0.1.0", port: 11435, startedAt: 0 },
    host: {
      hostname: id,
      os: "Debian",
      kernel: "6.1",
      arch: "x86_64",
      cpuModel: null,
      bootId: "b",
    },
    metrics: {
      cpuUtilization: 10,
      cpuCount: 16,
      load: [1, 1, 1],
      memoryTotal: memoryTotal ?? 64 * GB,
      memoryAvailable: memoryAvailable ?? 48 * GB,
      swapTotal: 0,
      swapFree: 0,
      disks: [{
        path: "/",
        total: disk?.total ?? 1000 * GB,
        used: disk?.used ?? 300 * GB,
        free: 0,
      }],
      temperatures: [],
      uptimeSeconds: 3600,
    },
    gpus: { source: "nvidia-smi", gpus: gpus ?? [gpu()], error: null },
    ollama: {
      reachable: true,
      version: "0.12.0",
      error: null,
      models: models.map((m) => diskModel(m)),
      loaded: loaded.map((m) => loadedModel(m)),
      slots: 4,
    },
    inFlight: {},
  };
  return {
    id,
    name: id,
    kind: "agent",
    url: `http://${id}:11435`,
    source: "discovery",
    status: "online",
    since: 0,
    reason: null,
    lastSeen: 1_000,
    inFlight: 0,
    freeVram: 16 * GB,
    totalVram: 24 * GB,
    hot: false,
    lowMemory: false,
    diskFull: false,
    ...view,
    snapshot: options.snapshot === null ? null : snapshot,
  };
}

/** A pull job of `model` to `hostId`, running unless told otherwise. */
export function pull(
  id: string,
  hostId: string,
  model: string,
  overrides: Partial<PullJob> = {},
): PullJob {
  return {
    id,
    model,
    hostId,
    hostName: hostId,
    state: "running",
    status: "pulling manifest",
    completed: null,
    total: null,
    error: null,
    startedAt: 1_000,
    endedAt: null,
    by: "admin",
    ...overrides,
  };
}

/**
 * Agent snapshots for the hub's unit tests, so that each test says only what it changes.
 *
 * @module
 */

import { type AgentSnapshot, type GpuSample, PROTOCOL_VERSION } from "../shared/protocol.ts";

const GB = 1e9;

/**
 * A healthy CPU-only host "Alpha" (agent id `a1`, boot `boot-1`): 8 CPUs 5 % busy, 64 GB of memory
 * with half available, up 100 s, Ollama 0.5.0 answering with nothing on disk or loaded and one slot;
 * `edit` changes what a test needs.
 */
export function testSnapshot(edit: (s: AgentSnapshot) => void = () => {}): AgentSnapshot {
  const s: AgentSnapshot = {
    v: PROTOCOL_VERSION,
    seq: 1,
    time: 0,
    agent: { id: "a1", name: "Alpha", version: "0.1.0", port: 11435, startedAt: 0 },
    host: { hostname: "a", os: "", kernel: "", arch: "", cpuModel: null, bootId: "boot-1" },
    metrics: {
      cpuUtilization: 5,
      cpuCount: 8,
      load: [0, 0, 0],
      memoryTotal: 64 * GB,
      memoryAvailable: 32 * GB,
      swapTotal: 0,
      swapFree: 0,
      disks: [],
      temperatures: [],
      uptimeSeconds: 100,
    },
    gpus: { source: "none", gpus: [], error: null },
    ollama: { reachable: true, version: "0.5.0", error: null, models: [], loaded: [], slots: 1 },
    inFlight: {},
  };
  edit(s);
  return s;
}

/** A simulated GPU at 50 °C reporting nothing else, with `fields` set. */
export function testGpu(fields: Partial<GpuSample> = {}): GpuSample {
  return {
    index: 0,
    uuid: null,
    name: "GPU",
    vendor: "simulated",
    memoryTotal: null,
    memoryUsed: null,
    utilization: null,
    temperature: 50,
    powerDraw: null,
    powerLimit: null,
    mig: false,
    ...fields,
  };
}

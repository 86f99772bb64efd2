/**
 * The agent's wire contract with hubs: the state snapshot served at `GET /v1/state` and streamed at
 * `GET /v1/state/stream`. Our own protocol, so camelCase; Ollama's snake_case names are converted in
 * exactly one place on the agent (`agent/ollama.ts`). Every snapshot carries `v: PROTOCOL_VERSION`; a
 * hub refuses a version it does not know rather than misreading it.
 *
 * Units: bytes for sizes, °C for temperatures, watts for power, percent (0-100) for utilisation,
 * seconds for uptime, milliseconds since the epoch for times unless the name says otherwise.
 *
 * @module
 */

/** The version of the snapshot and discovery payloads; bumped on any incompatible change. */
export const PROTOCOL_VERSION = 1;

/** Where a host's GPU figures came from. `"none"` means a CPU-only host, which is not an error. */
export type GpuSource = "nvidia-smi" | "rocm-smi" | "amdgpu-sysfs" | "simulator" | "none";

/** One GPU (or one whole physical GPU when MIG splits it) as the agent last sampled it. */
export interface GpuSample {
  /** The tool's index (`nvidia-smi` index, `rocm-smi` card number, DRM card number). */
  index: number;
  /** A stable identifier when the tool gives one (`GPU-…` UUID, AMD unique id), else `null`. */
  uuid: string | null;
  name: string;
  vendor: "nvidia" | "amd" | "simulated";
  /** Bytes; `null` when the tool cannot say (`[N/A]`). */
  memoryTotal: number | null;
  memoryUsed: number | null;
  /** Percent busy over the tool's last window; `null` when not reported (e.g. MIG mode). */
  utilization: number | null;
  temperature: number | null;
  powerDraw: number | null;
  powerLimit: number | null;
  /** True when MIG is enabled: utilisation is then per instance and usually `null` here. */
  mig: boolean;
}

/** The GPUs of a host, or why they could not be read. */
export interface GpuReport {
  source: GpuSource;
  gpus: GpuSample[];
  /** Set when a GPU tool exists but failed (driver not loaded, tool crashed); GPUs are then empty. */
  error: string | null;
}

/** Space on one filesystem, by the configured path that lives on it. */
export interface DiskSample {
  path: string;
  total: number;
  /** Free to unprivileged users (`f_bavail`), what Ollama can actually use. */
  free: number;
  used: number;
}

/** One temperature sensor. */
export interface TemperatureSample {
  /** `cpu` is the package (or Tctl/Tdie) sensor; `nvme` a drive's composite sensor. */
  kind: "cpu" | "nvme" | "gpu" | "other";
  /** Chip and label, e.g. `coretemp/Package id 0`, `nvme/Composite`, `thermal_zone0/x86_pkg_temp`. */
  label: string;
  celsius: number;
  source: "hwmon" | "thermal_zone";
}

/** The host's resources at one sample. */
export interface HostMetrics {
  /** Percent of all CPUs busy since the previous sample; `null` at the very first sample. */
  cpuUtilization: number | null;
  cpuCount: number;
  /** 1, 5 and 15 minute load averages. */
  load: [number, number, number];
  memoryTotal: number;
  memoryAvailable: number;
  swapTotal: number;
  swapFree: number;
  disks: DiskSample[];
  temperatures: TemperatureSample[];
  uptimeSeconds: number;
}

/** Metrics before the first sample, or for a host nothing is known of (a plain Ollama). */
export const EMPTY_METRICS: Readonly<HostMetrics> = Object.freeze<HostMetrics>({
  cpuUtilization: null,
  cpuCount: 0,
  load: [0, 0, 0],
  memoryTotal: 0,
  memoryAvailable: 0,
  swapTotal: 0,
  swapFree: 0,
  disks: [],
  temperatures: [],
  uptimeSeconds: 0,
});

/** What identifies the machine; changes only with a reboot or an upgrade. */
export interface HostInfo {
  hostname: string;
  /** `PRETTY_NAME` from os-release, e.g. `Debian GNU/Linux 12 (bookworm)`. */
  os: string;
  kernel: string;
  arch: string;
  cpuModel: string | null;
  /** `/proc/sys/kernel/random/boot_id`: a new value means the host rebooted. */
  bootId: string;
}

/**
 * A model's attention shape, read from `/api/show` `model_info` (`<arch>.block_count`,
 * `<arch>.attention.head_count_kv`, `key_length`, ...): what the hub needs to predict the memory
 * Ollama will give the model for a context (its KV cache is `contextLength × slots ×
 * (keyLength + valueLength) × headCountKv × blockCount` elements).
 */
export interface ModelShape {
  /** `general.architecture`, e.g. `qwen3`, `llama`, `gemma3`. */
  architecture: string;
  blockCount: number;
  headCount: number;
  headCountKv: number;
  /** Per-head key and value sizes; `embeddingLength / headCount` where the model gives none. */
  keyLength: number;
  valueLength: number;
  embeddingLength: number;
  /** The context the model was trained for: Ollama never loads it with more. */
  contextLength: number;
  /** An embedding model (`embedding` capability): Ollama gives it one slot. */
  embedding: boolean;
}

/** A model on the host's disk (`/api/tags`). */
export interface DiskModel {
  name: string;
  digest: string;
  size: number;
  modifiedAt: string;
  family: string;
  parameterSize: string;
  quantization: string;
  /** Its shape from `/api/show`, once the agent has read it; absent or `null` until then. */
  shape?: ModelShape | null;
}

/** A model loaded in memory (`/api/ps`). */
export interface LoadedModel {
  name: string;
  digest: string;
  size: number;
  sizeVram: number;
  contextLength: number | null;
  /** RFC 3339 time at which Ollama will unload it; far in the future for `keep_alive: -1`. */
  expiresAt: string | null;
}

/** The local Ollama as the agent last saw it. */
export interface OllamaReport {
  reachable: boolean;
  version: string | null;
  /** Why the last poll failed, when it did (no secrets, no bodies). */
  error: string | null;
  models: DiskModel[];
  loaded: LoadedModel[];
  /** Parallel request slots per loaded model (`OLLAMA_NUM_PARALLEL`, from the agent's config). */
  slots: number;
  /**
   * The host's `OLLAMA_CONTEXT_LENGTH`, from the agent's config: the context Ollama gives a request
   * that sets no `num_ctx`. 0 or absent: Ollama picks by VRAM (4k, 32k from 23 GiB, 256k from 47).
   */
  contextLength?: number;
}

/** The agent itself. */
export interface AgentInfo {
  id: string;
  name: string;
  version: string;
  /** The port of the agent's HTTP API. */
  port: number;
  startedAt: number;
}

/** Everything a hub needs to know about one host, as served by `GET /v1/state`. */
export interface AgentSnapshot {
  v: typeof PROTOCOL_VERSION;
  /** Grows by one with each change; a hub can tell a missed update. */
  seq: number;
  time: number;
  agent: AgentInfo;
  host: HostInfo;
  metrics: HostMetrics;
  gpus: GpuReport;
  ollama: OllamaReport;
  /** Requests now passing through the agent's proxy, by model name (models at zero are absent). */
  inFlight: Record<string, number>;
}

/** The heartbeat on the state stream, sent when nothing else has been sent for a second. */
export interface Heartbeat {
  v: typeof PROTOCOL_VERSION;
  seq: number;
  time: number;
}

/**
 * The server-sent event names on `GET /v1/state/stream`: `snapshot` carries an {@link AgentSnapshot}
 * (the first event, then one per change), `heartbeat` a {@link Heartbeat}.
 */
export type StateEventName = "snapshot" | "heartbeat";

/** The longest the state stream stays silent; a hub that hears nothing for longer may give up. */
export const HEARTBEAT_MS = 1000;

/**
 * `OllamaReport.error` before the agent's first poll of its Ollama: the host's Ollama is not known
 * to be down, only not yet asked, so a hub waits rather than calling the host degraded.
 */
export const OLLAMA_NOT_POLLED = "not polled yet";

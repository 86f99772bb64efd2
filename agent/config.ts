/**
 * The agent's configuration: a YAML file, then environment variables, then command-line flags, each
 * overriding the one before. Resolved once at start by {@link loadAgentConfig}, which is pure: it is
 * given the file's text, the environment and the parsed flags, and reports every problem in one
 * {@link ConfigError}. Nothing else in the agent reads the environment.
 *
 * The fleet key is never taken from a flag (command lines are visible to every user in `ps`): it
 * comes from the file, `CORRAL_FLEET_KEY`, or a key file (`fleet_key_file`, `--fleet-key-file`, or
 * systemd's `LoadCredential=fleet-key:…`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  address,
  ConfigError as FieldsConfigError,
  type ConfigSources as FieldsConfigSources,
  duration,
  type Field,
  FLEET_KEY_FIELDS,
  integer,
  ipv4,
  list,
  type ListenAddress,
  oneOf,
  resolveFields,
  resolveFleetKey,
  text,
  url,
} from "../shared/config_fields.ts";
import { DISCOVERY_PORT } from "../shared/discovery.ts";

export type { ListenAddress };

/** Where the agent takes its GPU figures from; `auto` tries nvidia-smi, rocm-smi, then sysfs. */
export type GpuSourceChoice = "auto" | "nvidia" | "rocm" | "amdgpu" | "simulator" | "none";

/** How the agent runs: beside an Ollama (`agent`), as a laptop's way to a hub (`client`), or
 * whichever fits (`auto`: client when no local Ollama answers at start). */
export type AgentMode = "agent" | "client" | "auto";

/** The agent's resolved, read-only configuration. */
export interface AgentConfig {
  mode: AgentMode;
  /** Stable id announced to hubs; `null` derives one from the machine id and port. */
  id: string | null;
  /** Display name; `null` means the host name. */
  name: string | null;
  listen: ListenAddress;
  ollamaUrl: string;
  /** Parallel slots of the local Ollama per model (its `OLLAMA_NUM_PARALLEL`). */
  slots: number;
  /**
   * The local Ollama's `OLLAMA_CONTEXT_LENGTH`: the context of a request that sets no `num_ctx`.
   * 0, as in Ollama, means it picks by VRAM (4k, 32k from 23 GiB, 256k from 47 GiB).
   */
  ollamaContextLength: number;
  /** The fleet key itself, when given directly. */
  fleetKey: string | null;
  /** A file holding the fleet key, read at start. */
  fleetKeyFile: string | null;
  /** Run without a fleet key: unsigned packets, unauthenticated HTTP. */
  insecure: boolean;
  sampleIntervalMs: number;
  pollIntervalMs: number;
  gpus: GpuSourceChoice;
  /** Paths whose filesystems are reported; a path that does not exist is left out. */
  disks: string[];
  announce: {
    port: number;
    intervalMs: number;
    /** Broadcast addresses; `null` means each non-loopback IPv4 interface's directed broadcast. */
    addresses: string[] | null;
  };
  client: {
    listen: ListenAddress;
    /** A hub to forward to, skipping discovery. */
    hubUrl: string | null;
    /** An API key to add to requests that carry none. */
    apiKey: string | null;
  };
}

/** Every problem found in the configuration, reported together. */
export class ConfigError extends FieldsConfigError {
  /** Creates the error from its list of problems, each prefixed by where the value came from. */
  constructor(problems: string[]) {
    super(problems, "the agent");
  }
}

/** What {@link loadAgentConfig} reads: the YAML file's text, the environment, the parsed flags. */
export type ConfigSources = FieldsConfigSources<AgentFlags>;

/** The command-line flags, as strings, before validation. */
export type AgentFlags = Partial<Record<FlagName, string | string[] | boolean>>;

type FlagName =
  | "config"
  | "mode"
  | "id"
  | "name"
  | "listen"
  | "ollama"
  | "slots"
  | "ollama-context-length"
  | "fleet-key-file"
  | "insecure"
  | "sample-interval"
  | "poll-interval"
  | "gpus"
  | "disk"
  | "announce-port"
  | "announce-interval"
  | "announce-to"
  | "client-listen"
  | "hub";

/** The agent's flags, for `--help` and {@link parseAgentFlags}. */
export const AGENT_HELP = `Usage: deno task agent [options]

Runs the Corral agent beside a local Ollama: measures the host, announces it on the LAN over signed
UDP, serves its state to hubs and proxies requests to Ollama. Every option can also be set in the
YAML file (--config) or the environment (CORRAL_*); flags win over both.

Options:
  --config FILE              YAML configuration (see agent/config.example.yaml)
  --mode agent|client|auto   client: forward localhost:11434 to a hub; auto: client when no
                             local Ollama answers (default agent)
  --id ID                    stable id (default: derived from /etc/machine-id and the port)
  --name NAME                display name (default: the host name)
  --listen HOST:PORT         the agent API (default 0.0.0.0:11435)
  --ollama URL               the local Ollama (default http://127.0.0.1:11434)
  --slots N                  the local Ollama's OLLAMA_NUM_PARALLEL (default 1)
  --ollama-context-length N  the local Ollama's OLLAMA_CONTEXT_LENGTH (default 0: Ollama's
                             choice by VRAM)
  --fleet-key-file FILE      the fleet key (or CORRAL_FLEET_KEY; never a flag)
  --insecure                 run without a fleet key: nothing is signed or authenticated
  --sample-interval D        host and GPU sampling (default 1s)
  --poll-interval D          local Ollama polling (default 1s)
  --gpus SOURCE              auto, nvidia, rocm, amdgpu, simulator or none (default auto)
  --disk PATH                a path to report disk space for (repeatable; default / and the
                             Ollama models directory)
  --announce-port N          UDP discovery port (default ${DISCOVERY_PORT})
  --announce-interval D      how often to announce (default 5s)
  --announce-to ADDR         a broadcast address (repeatable; default each interface's)
  --client-listen HOST:PORT  client mode's Ollama endpoint (default 127.0.0.1:11434)
  --hub URL                  client mode: this hub, without discovery (or CORRAL_HUB_URL)
  -h, --help                 this help

Client mode adds CORRAL_API_KEY as a bearer token to requests that carry none.`;

/** Parses the command line; unknown flags throw a TypeError naming them. */
export function parseAgentFlags(args: string[]): AgentFlags & { help: boolean } {
  const string = { type: "string" } as const;
  const many = { type: "string", multiple: true } as const;
  const { values } = parseArgs({
    args,
    options: {
      config: string,
      mode: string,
      id: string,
      name: string,
      listen: string,
      ollama: string,
      slots: string,
      "ollama-context-length": string,
      "fleet-key-file": string,
      insecure: { type: "boolean" },
      "sample-interval": string,
      "poll-interval": string,
      gpus: string,
      disk: many,
      "announce-port": string,
      "announce-interval": string,
      "announce-to": many,
      "client-listen": string,
      hub: string,
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return values as AgentFlags & { help: boolean };
}

const GPU_SOURCES: readonly GpuSourceChoice[] = [
  "auto",
  "nvidia",
  "rocm",
  "amdgpu",
  "simulator",
  "none",
];
const MODES: readonly AgentMode[] = ["agent", "client", "auto"];

const FIELDS = {
  mode: { yaml: "mode", env: "CORRAL_MODE", flag: "mode", parse: oneOf(MODES) },
  id: { yaml: "id", env: "CORRAL_AGENT_ID", flag: "id", parse: text },
  name: { yaml: "name", env: "CORRAL_AGENT_NAME", flag: "name", parse: text },
  listen: {
    yaml: "listen",
    env: "CORRAL_AGENT_LISTEN",
    flag: "listen",
    parse: address("0.0.0.0"),
  },
  ollamaUrl: { yaml: "ollama_url", env: "CORRAL_OLLAMA_URL", flag: "ollama", parse: url },
  slots: { yaml: "slots", env: "CORRAL_SLOTS", flag: "slots", parse: integer(1, 512) },
  ollamaContextLength: {
    yaml: "ollama_context_length",
    env: "CORRAL_OLLAMA_CONTEXT_LENGTH",
    flag: "ollama-context-length",
    parse: integer(0, 16_777_216),
  },
  ...FLEET_KEY_FIELDS,
  sampleIntervalMs: {
    yaml: "sample_interval",
    env: "CORRAL_SAMPLE_INTERVAL",
    flag: "sample-interval",
    parse: duration(100),
  },
  pollIntervalMs: {
    yaml: "poll_interval",
    env: "CORRAL_POLL_INTERVAL",
    flag: "poll-interval",
    parse: duration(100),
  },
  gpus: { yaml: "gpus", env: "CORRAL_GPUS", flag: "gpus", parse: oneOf(GPU_SOURCES) },
  disks: { yaml: "disks", env: "CORRAL_DISKS", flag: "disk", parse: list(text) },
  announcePort: {
    yaml: "announce.port",
    env: "CORRAL_ANNOUNCE_PORT",
    flag: "announce-port",
    parse: integer(1, 65535),
  },
  announceIntervalMs: {
    yaml: "announce.interval",
    env: "CORRAL_ANNOUNCE_INTERVAL",
    flag: "announce-interval",
    parse: duration(500),
  },
  announceAddresses: {
    yaml: "announce.addresses",
    env: "CORRAL_ANNOUNCE_ADDRESSES",
    flag: "announce-to",
    parse: list(ipv4),
  },
  clientListen: {
    yaml: "client.listen",
    env: "CORRAL_CLIENT_LISTEN",
    flag: "client-listen",
    parse: address("127.0.0.1"),
  },
  hubUrl: { yaml: "client.hub_url", env: "CORRAL_HUB_URL", flag: "hub", parse: url },
  apiKey: { yaml: "client.api_key", env: "CORRAL_API_KEY", parse: text },
} satisfies Record<string, Field<unknown, FlagName>>;

/**
 * Resolves the configuration from its sources, highest precedence last: defaults, the YAML file,
 * the environment, the flags.
 *
 * @throws {ConfigError} Listing every problem, each with where the bad value came from.
 */
export function loadAgentConfig(sources: ConfigSources): AgentConfig {
  const { env } = sources;
  const resolved = resolveFields(FIELDS, sources);
  const { values, problems } = resolved;
  const { fleetKey, fleetKeyFile, insecure, problem } = resolveFleetKey(resolved, env);
  if (problem) problems.push(problem);
  if (problems.length > 0) throw new ConfigError(problems);

  const modelsDir = env.OLLAMA_MODELS || "/usr/share/ollama/.ollama/models";
  return Object.freeze({
    mode: values.mode ?? "agent",
    id: values.id ?? null,
    name: values.name ?? null,
    listen: values.listen ?? { hostname: "0.0.0.0", port: 11435 },
    ollamaUrl: values.ollamaUrl ?? "http://127.0.0.1:11434",
    slots: values.slots ?? 1,
    ollamaContextLength: values.ollamaContextLength ?? 0,
    fleetKey,
    fleetKeyFile,
    insecure,
    sampleIntervalMs: values.sampleIntervalMs ?? 1000,
    pollIntervalMs: values.pollIntervalMs ?? 1000,
    gpus: values.gpus ?? "auto",
    disks: values.disks ?? ["/", modelsDir],
    announce: {
      port: values.announcePort ?? DISCOVERY_PORT,
      intervalMs: values.announceIntervalMs ?? 5000,
      addresses: values.announceAddresses ?? null,
    },
    client: {
      listen: values.clientListen ?? { hostname: "127.0.0.1", port: 11434 },
      hubUrl: values.hubUrl ?? null,
      apiKey: values.apiKey ?? null,
    },
  });
}

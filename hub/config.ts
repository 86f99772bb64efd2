/**
 * The hub's configuration: a YAML file, then environment variables, then command-line flags, each
 * overriding the one before (a list given by a later source replaces the earlier one's). Resolved
 * once at start by {@link loadHubConfig}, which is pure: it is given the file's text, the
 * environment and the parsed flags, and reports every problem in one {@link ConfigError}.
 *
 * Two files are read by the caller, not here: the fleet key file, exactly as the agent's, and the
 * API keys file (`api_keys_file`), whose text {@link withApiKeysFile} checks and merges, so that the
 * caller can read it again to rotate keys without a restart.
 *
 * Client API keys appear in configuration only as their SHA-256 (`sha256:<64 hex digits>`), and no
 * message ever echoes a key, a hash or the fleet key.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import {
  address,
  boolean,
  ConfigError as FieldsConfigError,
  type ConfigSources as FieldsConfigSources,
  duration,
  type Field,
  FLEET_KEY_FIELDS,
  integer,
  Invalid,
  type InvalidPart,
  ipv4,
  list,
  type ListenAddress,
  listOf,
  record,
  resolveFields,
  resolveFleetKey,
  text,
  url,
} from "../shared/config_fields.ts";
import { DISCOVERY_PORT } from "../shared/discovery.ts";
import { isModelPattern } from "./auth.ts";
import {
  DEFAULT_POLICY,
  type FleetPolicy,
  keepAliveSetting,
  modelPolicies,
  numCtxSetting,
} from "./fleet_policy.ts";
import {
  HISTORY_FIELDS,
  HISTORY_HELP,
  type HistoryConfig,
  historyConfig,
  type HistoryFlag,
} from "./history/settings.ts";

export type { ListenAddress };

/** A plain Ollama server that the hub routes to without an agent beside it. */
export interface OllamaServer {
  url: string;
  /** Display name; `null` means the URL's host. */
  name: string | null;
  /** Its parallel slots per model (its `OLLAMA_NUM_PARALLEL`). */
  slots: number;
  /** Its `OLLAMA_CONTEXT_LENGTH`; 0 when Ollama picks a context by VRAM. */
  contextLength: number;
}

/** A client API key, known only by its hash. */
export interface ApiKey {
  /** Who holds it, for logs and the dashboard; unique. */
  name: string;
  /** `sha256:` and the key's SHA-256 in lowercase hex. */
  hash: string;
  /** Model name patterns it may use (`qwen3:8b`, `qwen3:*`, `*`); `["*"]` unless restricted. */
  models: string[];
}

/** The hub's resolved, read-only configuration. */
export interface HubConfig {
  /** Display name; `null` means the host name. */
  name: string | null;
  /** The data plane: the Ollama and OpenAI APIs. */
  listen: ListenAddress;
  /** The control plane: dashboard, admin API, events, `/metrics`. */
  controlListen: ListenAddress;
  /** The fleet key itself, when given directly. */
  fleetKey: string | null;
  /** A file holding the fleet key, read at start. */
  fleetKeyFile: string | null;
  /** Run without a fleet key: unsigned probes, unauthenticated calls to agents. */
  insecure: boolean;
  discovery: {
    enabled: boolean;
    port: number;
    /** Broadcast addresses to probe; `null` means each non-loopback IPv4 interface's. */
    probeTo: string[] | null;
  };
  /** Agents' base URLs, for hosts that discovery cannot reach. */
  agents: string[];
  ollama: OllamaServer[];
  /** Serve the data plane without API keys even when it is reachable from other machines. */
  openApi: boolean;
  apiKeys: ApiKey[];
  /** A YAML file with more API keys, for the caller to read into {@link withApiKeysFile}. */
  apiKeysFile: string | null;
  queue: {
    /** Requests that may wait for a free host; past it the hub answers 503. */
    max: number;
    /** How long a request may wait before a 503. */
    timeoutMs: number;
  };
  /** Silence after which a host is offline. */
  offlineAfterMs: number;
  /** Other hosts to try when one fails before the first byte. */
  retries: number;
  /** The `num_ctx` and `keep_alive` set on native requests that carry none (`fleet_policy.ts`). */
  routing: FleetPolicy;
  history: HistoryConfig;
}

/** Every problem found in the configuration, reported together. */
export class ConfigError extends FieldsConfigError {
  /** Creates the error from its list of problems, each prefixed by where the value came from. */
  constructor(problems: string[]) {
    super(problems, "the hub");
  }
}

/** What {@link loadHubConfig} reads: the YAML file's text, the environment, the parsed flags. */
export type ConfigSources = FieldsConfigSources<HubFlags>;

/** The command-line flags, as strings, before validation. */
export type HubFlags = Partial<Record<FlagName, string | string[] | boolean>>;

type FlagName =
  | HistoryFlag
  | "config"
  | "name"
  | "listen"
  | "control-listen"
  | "fleet-key-file"
  | "insecure"
  | "no-discovery"
  | "discovery-port"
  | "probe-to"
  | "agent"
  | "ollama"
  | "open-api"
  | "api-keys-file"
  | "queue-max"
  | "queue-timeout"
  | "offline-after"
  | "retries"
  | "num-ctx"
  | "keep-alive";

/** The hub's flags, for `--help` and {@link parseHubFlags}. */
export const HUB_HELP = `Usage: deno task hub [options]

Runs the Corral hub: finds agents, routes every request to the best host, and serves the Ollama and
OpenAI APIs for the whole fleet on one port. Every option can also be set in the YAML file
(--config, or CORRAL_HUB_CONFIG) or the environment (CORRAL_*); flags win over both.

Options:
  --config FILE               YAML configuration (see hub/config.example.yaml)
  --name NAME                 display name (default: the host name)
  --listen HOST:PORT          the Ollama and OpenAI APIs (default 0.0.0.0:11434)
  --control-listen HOST:PORT  dashboard, admin API and /metrics (default 127.0.0.1:11400)
  --fleet-key-file FILE       the fleet key (or CORRAL_FLEET_KEY; never a flag)
  --insecure                  run without a fleet key: nothing is signed or authenticated
  --no-discovery              only the hosts listed with --agent and --ollama
  --discovery-port N          UDP discovery port (default ${DISCOVERY_PORT})
  --probe-to ADDR             a broadcast address to probe (repeatable; default each interface's)
  --agent URL                 an agent that discovery cannot reach, e.g. http://10.0.0.5:11435
                              (repeatable)
  --ollama URL                a plain Ollama server without an agent (repeatable)
  --open-api                  no API keys even on a non-loopback --listen
  --api-keys-file FILE        a YAML list of API keys (name, hash, models)
  --queue-max N               requests that may wait for a free host (default 512)
  --queue-timeout D           how long one may wait before a 503 (default 10m)
  --offline-after D           silence after which a host is offline (default 2500ms)
  --retries N                 other hosts to try when one fails before answering (default 2)
  --num-ctx N                 the context set on native requests that set none (default 8192;
                              "ollama": each host's own default, chosen by its VRAM)
  --keep-alive D              the keep_alive set on requests that set none (default 30m;
                              "ollama": each host's OLLAMA_KEEP_ALIVE)
${HISTORY_HELP}
  -h, --help                  this help

API keys are required when --listen is not a loopback address, unless --open-api is given.`;

/** Parses the command line; unknown flags throw a TypeError naming them. */
export function parseHubFlags(args: string[]): HubFlags & { help: boolean } {
  const string = { type: "string" } as const;
  const many = { type: "string", multiple: true } as const;
  const flag = { type: "boolean" } as const;
  const { values } = parseArgs({
    args,
    options: {
      config: string,
      name: string,
      listen: string,
      "control-listen": string,
      "fleet-key-file": string,
      insecure: flag,
      "no-discovery": flag,
      "discovery-port": string,
      "probe-to": many,
      agent: many,
      ollama: many,
      "open-api": flag,
      "api-keys-file": string,
      "queue-max": string,
      "queue-timeout": string,
      "offline-after": string,
      retries: string,
      "num-ctx": string,
      "keep-alive": string,
      db: string,
      "data-dir": string,
      "sample-interval": string,
      "no-history": flag,
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return values as HubFlags & { help: boolean };
}

const ollamaRecord = record({ url }, {
  name: text,
  slots: integer(1, 512),
  context_length: integer(0, 16_777_216),
});

function ollamaServer(value: unknown): OllamaServer {
  if (typeof value === "string") return { url: url(value), name: null, slots: 1, contextLength: 0 };
  const server = ollamaRecord(value);
  return {
    url: server.url,
    name: server.name ?? null,
    slots: server.slots ?? 1,
    contextLength: server.context_length ?? 0,
  };
}

function keyHash(value: unknown): string {
  // Never echo the value: an operator may have pasted the key itself here.
  const hash = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (!/^sha256:[0-9a-f]{64}$/.test(hash)) {
    throw new Invalid(
      'must be "sha256:" and the key\'s SHA-256 in 64 hex digits (`printf %s "$KEY" | sha256sum`)',
    );
  }
  return hash;
}

function modelPattern(value: unknown): string {
  const pattern = text(value);
  if (!isModelPattern(pattern)) {
    throw new Invalid(`must be a model name, NAME:* or *, not "${pattern}"`);
  }
  return pattern;
}

const apiKeyRecord = record({ name: text, hash: keyHash }, { models: list(modelPattern) });

function apiKey(value: unknown): ApiKey {
  const key = apiKeyRecord(value);
  return { name: key.name, hash: key.hash, models: key.models ?? ["*"] };
}

/** Problems with names or hashes of `keys` that repeat one another or one of `before`. */
function repeats(keys: readonly ApiKey[], before: readonly ApiKey[], beforeName: string) {
  const found: InvalidPart[] = [];
  const all = [...before, ...keys];
  keys.forEach((key, i) => {
    const label = (j: number) =>
      j < before.length ? `${beforeName}[${j}]` : `[${j - before.length}]`;
    const sameName = all.findIndex((k) => k.name === key.name);
    const sameHash = all.findIndex((k) => k.hash === key.hash);
    if (sameName < before.length + i) {
      found.push({
        at: `[${i}].name`,
        message: `"${key.name}" is also the name of ${label(sameName)}`,
      });
    }
    if (sameHash < before.length + i) {
      found.push({ at: `[${i}].hash`, message: `is also the hash of ${label(sameHash)}` });
    }
  });
  return found;
}

function apiKeys(value: unknown): ApiKey[] {
  const keys = listOf(apiKey)(value);
  const found = repeats(keys, [], "");
  if (found.length > 0) throw Invalid.many(found);
  return keys;
}

const FIELDS = {
  name: { yaml: "name", env: "CORRAL_HUB_NAME", flag: "name", parse: text },
  listen: { yaml: "listen", env: "CORRAL_HUB_LISTEN", flag: "listen", parse: address("0.0.0.0") },
  controlListen: {
    yaml: "control_listen",
    env: "CORRAL_CONTROL_LISTEN",
    flag: "control-listen",
    parse: address("127.0.0.1"),
  },
  ...FLEET_KEY_FIELDS,
  discoveryEnabled: {
    yaml: "discovery.enabled",
    env: "CORRAL_DISCOVERY",
    flag: "no-discovery",
    fromFlag: (given) => given !== true,
    parse: boolean,
  },
  discoveryPort: {
    yaml: "discovery.port",
    env: "CORRAL_DISCOVERY_PORT",
    flag: "discovery-port",
    parse: integer(1, 65535),
  },
  probeTo: {
    yaml: "discovery.probe_to",
    env: "CORRAL_PROBE_TO",
    flag: "probe-to",
    parse: list(ipv4),
  },
  agents: { yaml: "agents", env: "CORRAL_AGENTS", flag: "agent", parse: listOf(url) },
  ollama: {
    yaml: "ollama",
    env: "CORRAL_OLLAMA_SERVERS",
    flag: "ollama",
    parse: listOf(ollamaServer),
  },
  openApi: { yaml: "open_api", env: "CORRAL_OPEN_API", flag: "open-api", parse: boolean },
  apiKeys: { yaml: "api_keys", parse: apiKeys },
  apiKeysFile: {
    yaml: "api_keys_file",
    env: "CORRAL_API_KEYS_FILE",
    flag: "api-keys-file",
    parse: text,
  },
  queueMax: {
    yaml: "queue.max",
    env: "CORRAL_QUEUE_MAX",
    flag: "queue-max",
    parse: integer(0, 1_000_000),
  },
  queueTimeoutMs: {
    yaml: "queue.timeout",
    env: "CORRAL_QUEUE_TIMEOUT",
    flag: "queue-timeout",
    parse: duration(1000),
  },
  offlineAfterMs: {
    yaml: "offline_after",
    env: "CORRAL_OFFLINE_AFTER",
    flag: "offline-after",
    parse: duration(500),
  },
  retries: { yaml: "retries", env: "CORRAL_RETRIES", flag: "retries", parse: integer(0, 5) },
  numCtx: {
    yaml: "routing.num_ctx",
    env: "CORRAL_NUM_CTX",
    flag: "num-ctx",
    parse: numCtxSetting,
  },
  keepAlive: {
    yaml: "routing.keep_alive",
    env: "CORRAL_KEEP_ALIVE",
    flag: "keep-alive",
    parse: keepAliveSetting,
  },
  modelPolicies: { yaml: "routing.models", parse: modelPolicies },
  shareLarger: {
    yaml: "routing.share_larger_context",
    env: "CORRAL_SHARE_LARGER_CONTEXT",
    parse: boolean,
  },
  ...HISTORY_FIELDS,
} satisfies Record<string, Field<unknown, FlagName>>;

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Resolves the configuration from its sources, highest precedence last: defaults, the YAML file,
 * the environment, the flags.
 *
 * @throws {ConfigError} Listing every problem, each with where the bad value came from.
 */
export function loadHubConfig(sources: ConfigSources): HubConfig {
  const { env } = sources;
  const resolved = resolveFields(FIELDS, sources);
  const { values, problems } = resolved;
  const { fleetKey, fleetKeyFile, insecure, problem } = resolveFleetKey(resolved, env);
  if (problem) problems.push(problem);
  const agents = values.agents ?? [];
  const ollama = values.ollama ?? [];
  const urls = [...agents, ...ollama.map((o) => o.url)];
  for (const [i, u] of urls.entries()) {
    if (urls.indexOf(u) < i) problems.push(`"${u}" is listed more than once in agents and ollama`);
  }
  const history = historyConfig(values, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze({
    name: values.name ?? null,
    listen: values.listen ?? { hostname: "0.0.0.0", port: 11434 },
    controlListen: values.controlListen ?? { hostname: "127.0.0.1", port: 11400 },
    fleetKey,
    fleetKeyFile,
    insecure,
    discovery: {
      enabled: values.discoveryEnabled ?? true,
      port: values.discoveryPort ?? DISCOVERY_PORT,
      probeTo: values.probeTo ?? null,
    },
    agents,
    ollama,
    openApi: values.openApi ?? false,
    apiKeys: values.apiKeys ?? [],
    apiKeysFile: values.apiKeysFile ?? null,
    queue: { max: values.queueMax ?? 512, timeoutMs: values.queueTimeoutMs ?? 600_000 },
    offlineAfterMs: values.offlineAfterMs ?? 2500,
    retries: values.retries ?? 2,
    routing: {
      numCtx: values.numCtx !== undefined ? values.numCtx : DEFAULT_POLICY.numCtx,
      keepAlive: values.keepAlive !== undefined ? values.keepAlive : DEFAULT_POLICY.keepAlive,
      models: values.modelPolicies ?? [],
      shareLarger: values.shareLarger ?? DEFAULT_POLICY.shareLarger,
    },
    history,
  });
}

/**
 * Adds the keys of an API keys file (a YAML list of `{name, hash, models?}`, as `api_keys`) to a
 * configuration. Pure: the caller reads the file, and may read it again later to rotate keys.
 *
 * @param config The configuration, whose `api_keys` the file's keys join.
 * @param yamlText The file's text; an empty file holds no keys.
 * @param fileName The file's name, for messages.
 * @returns A new configuration with every key.
 * @throws {ConfigError} Listing every bad entry, and names or keys that repeat.
 */
export function withApiKeysFile(config: HubConfig, yamlText: string, fileName: string): HubConfig {
  let keys: ApiKey[] = [];
  const problems: string[] = [];
  try {
    const parsed: unknown = parseYaml(yamlText) ?? [];
    if (!Array.isArray(parsed)) throw new Invalid("must be a list of API keys");
    keys = listOf(apiKey)(parsed);
    const found = repeats(keys, config.apiKeys, "api_keys");
    if (found.length > 0) throw Invalid.many(found);
  } catch (error) {
    if (!(error instanceof Invalid)) {
      problems.push(`${fileName}: ${(error as Error).message.split("\n")[0]}`);
    } else {
      for (const { at, message } of error.parts) {
        problems.push(`${fileName}: ${at ? `${at}: ` : ""}${message}`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze({ ...config, apiKeys: [...config.apiKeys, ...keys] });
}

/**
 * Says whether a host name or address is this machine's loopback: `localhost`, 127.0.0.0/8 or ::1.
 *
 * @param hostname A listen address's host.
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^::ffff:(?=\d+\.)/, "");
  if (host === "localhost" || host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const parts = host.split(".");
  return parts.length === 4 && parts[0] === "127" &&
    parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/**
 * Says whether clients must present an API key: when the data plane is reachable from other
 * machines (not a loopback address), unless `open_api` says otherwise.
 *
 * @param config The resolved configuration.
 */
export function apiKeysRequired(config: Pick<HubConfig, "listen" | "openApi">): boolean {
  return !config.openApi && !isLoopback(config.listen.hostname);
}

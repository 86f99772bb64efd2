/**
 * `deno task hub`: wiring only. Reads the configuration, starts the hub, and stops it cleanly on
 * SIGTERM or SIGINT. `deno task hub keys new NAME [MODEL...]` prints a new client API key once,
 * with the `api_keys` entry (its hash) to paste into the configuration.
 *
 * @module
 */

import { FLEET_KEY_HINT, fleetKeyProblem } from "../shared/fleet_key.ts";
import { hashApiKey, newApiKey } from "./auth.ts";
import { DataDirLockedError } from "./history/pglite.ts";
import {
  ConfigError,
  HUB_HELP,
  type HubConfig,
  type HubFlags,
  loadHubConfig,
  parseHubFlags,
  withApiKeysFile,
} from "./config.ts";
import { type RunningHub, startHub } from "./hub.ts";
import { log } from "./log.ts";

async function readOrFail(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).name;
    throw new ConfigError([`Cannot read ${what} "${path}": ${reason}`]);
  }
}

/** Reads the configuration from the command line, the environment and the files it names. */
async function configure(args: string[]): Promise<HubConfig> {
  let flags: HubFlags & { help: boolean };
  try {
    flags = parseHubFlags(args);
  } catch (error) {
    throw new ConfigError([`${(error as Error).message} (see --help)`]);
  }
  if (flags.help) {
    console.log(HUB_HELP);
    Deno.exit(0);
  }
  const env = Deno.env.toObject();
  const path = (flags.config as string | undefined) ?? env.CORRAL_HUB_CONFIG;
  const yamlText = path ? await readOrFail(path, "the config file") : undefined;
  let config = loadHubConfig({ yamlText, yamlName: path, env, flags });
  if (config.apiKeysFile) {
    const text = await readOrFail(config.apiKeysFile, "the API keys file");
    config = withApiKeysFile(config, text, config.apiKeysFile);
  }
  return config;
}

/** The fleet key from config or its file, checked; `null` when insecure. */
async function readFleetKey(config: HubConfig): Promise<string | null> {
  if (config.fleetKey) return config.fleetKey;
  if (!config.fleetKeyFile) return null;
  const key = (await readOrFail(config.fleetKeyFile, "the fleet key file")).trim();
  const problem = fleetKeyProblem(key);
  if (problem) {
    throw new ConfigError([
      `the fleet key in "${config.fleetKeyFile}" ${problem}; ${FLEET_KEY_HINT}`,
    ]);
  }
  return key;
}

/** `keys new NAME [MODEL...]`: a new key, shown once, and its configuration entry. */
async function newKey(args: string[]): Promise<void> {
  const [name, ...models] = args;
  if (!name) {
    console.error("Usage: deno task hub keys new NAME [MODEL_PATTERN...]");
    Deno.exit(2);
  }
  const key = newApiKey();
  const hash = await hashApiKey(key);
  const modelsLine = models.length > 0
    ? `\n    models: [${models.map((m) => JSON.stringify(m)).join(", ")}]`
    : "";
  console.log(`API key for "${name}" (shown once; the hub keeps only its hash):

  ${key}

Add this to the hub's api_keys (config file or api_keys_file) and restart the hub:

  - name: ${JSON.stringify(name)}
    hash: ${hash}${modelsLine}`);
}

function stopOnSignal(started: Promise<RunningHub>): void {
  let stopping = false;
  const onSignal = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    try {
      await (await started.catch(() => null))?.stop();
    } catch (error) {
      log.warn(`while stopping: ${(error as Error).message}`);
    }
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => onSignal("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => onSignal("SIGINT"));
}

async function start(): Promise<RunningHub> {
  const config = await configure(Deno.args);
  const fleetKey = await readFleetKey(config);
  if (!fleetKey) log.warn("running without a fleet key (--insecure): anyone on the LAN can join");
  return await startHub(config, { fleetKey, log });
}

if (import.meta.main) {
  if (Deno.args[0] === "keys") {
    if (Deno.args[1] !== "new") {
      console.error("Usage: deno task hub keys new NAME [MODEL_PATTERN...]");
      Deno.exit(2);
    }
    await newKey(Deno.args.slice(2));
    Deno.exit(0);
  }
  const started = start();
  stopOnSignal(started);
  try {
    await started;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      Deno.exit(2);
    }
    if (error instanceof Deno.errors.AddrInUse || error instanceof DataDirLockedError) {
      console.error(`Cannot start the hub: ${error.message}`);
      Deno.exit(1);
    }
    throw error;
  }
}

/**
 * `deno task agent`: wiring only. Reads the configuration, starts the agent (or client mode), and
 * stops it cleanly on SIGTERM or SIGINT.
 *
 * Deno requires `--allow-all` to read `/proc` (denoland/deno#25055), and the agent runs nvidia-smi,
 * which no Deno permission can confine anyway; the agent's least privilege comes from its systemd
 * unit (its own user, read-only system, no capabilities), see `systemd/corral-agent.service`.
 *
 * @module
 */

import { startAgent } from "./agent.ts";
import { startClient } from "./client_mode.ts";
import {
  AGENT_HELP,
  type AgentConfig,
  type AgentFlags,
  ConfigError,
  loadAgentConfig,
  parseAgentFlags,
} from "./config.ts";
import { log } from "./log.ts";
import { OllamaClient } from "./ollama.ts";
import { FLEET_KEY_HINT, fleetKeyProblem } from "../shared/fleet_key.ts";

/** Reads the configuration from the command line, the environment and the file it names. */
async function configure(args: string[]): Promise<AgentConfig> {
  let flags: AgentFlags & { help: boolean };
  try {
    flags = parseAgentFlags(args);
  } catch (error) {
    throw new ConfigError([`${(error as Error).message} (see --help)`]);
  }
  if (flags.help) {
    console.log(AGENT_HELP);
    Deno.exit(0);
  }
  const env = Deno.env.toObject();
  const path = (flags.config as string | undefined) ?? env.CORRAL_AGENT_CONFIG;
  let yamlText: string | undefined;
  if (path) {
    try {
      yamlText = await Deno.readTextFile(path);
    } catch (error) {
      throw new ConfigError([`Cannot read the config file "${path}": ${(error as Error).message}`]);
    }
  }
  return loadAgentConfig({ yamlText, yamlName: path, env, flags });
}

/** The fleet key from config or its file, checked; `null` when insecure. */
async function readFleetKey(config: AgentConfig): Promise<string | null> {
  if (config.fleetKey) return config.fleetKey;
  if (!config.fleetKeyFile) return null;
  let key: string;
  try {
    key = (await Deno.readTextFile(config.fleetKeyFile)).trim();
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).name;
    throw new ConfigError([
      `Cannot read the fleet key file "${config.fleetKeyFile}": ${reason}; ${FLEET_KEY_HINT}`,
    ]);
  }
  const problem = fleetKeyProblem(key);
  if (problem) throw new ConfigError([`the fleet key in "${config.fleetKeyFile}" ${problem}`]);
  return key;
}

/** Client when `mode` says so, or in `auto` mode when no local Ollama answers. */
async function chooseMode(config: AgentConfig): Promise<"agent" | "client"> {
  if (config.mode !== "auto") return config.mode;
  try {
    await new OllamaClient(config.ollamaUrl, { timeoutMs: 1500 }).version();
    return "agent";
  } catch {
    log.info(`no Ollama answers at ${config.ollamaUrl}: running in client mode`);
    return "client";
  }
}

/**
 * Stops on SIGTERM or SIGINT, then exits 0. Listening starts before anything else, so that a
 * signal during start-up waits for the agent to be up and then stops it, rather than killing it
 * halfway.
 */
function stopOnSignal(started: Promise<{ stop(): Promise<void> } | null>): void {
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

async function start(): Promise<{ stop(): Promise<void> }> {
  const config = await configure(Deno.args);
  const fleetKey = await readFleetKey(config);
  if (!fleetKey) log.warn("running without a fleet key (--insecure): anyone on the LAN can use it");
  return await chooseMode(config) === "agent"
    ? await startAgent(config, { fleetKey, log })
    : await startClient(config, { fleetKey, log });
}

if (import.meta.main) {
  const started = start();
  stopOnSignal(started);
  try {
    await started;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      Deno.exit(2);
    }
    if (error instanceof Deno.errors.AddrInUse) {
      console.error(`Cannot start the agent: ${error.message}`);
      Deno.exit(1);
    }
    throw error;
  }
}

/**
 * `deno task sim`: one simulated machine running Ollama.
 *
 * ```
 * deno task sim --port 11434 --profile rtx4090 --speed 1
 * deno task sim --profile ./box.yaml --models qwen3:8b,nomic-embed-text --preload qwen3:8b
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { CATALOGUE } from "./catalogue.ts";
import { PRESETS, type ProfileInput, resolveProfile } from "./profile.ts";
import { closeOnSignal, startSimulator } from "./server.ts";

const HELP = `Usage: deno task sim [options]

Simulates one machine running Ollama, on its Ollama API port.

Options:
  --port N                 TCP port (default 11434; 0 picks a free one)
  --host ADDR              address to listen on (default 127.0.0.1)
  --profile NAME|FILE      a preset (${Object.keys(PRESETS).join(", ")}) or a YAML profile
  --speed X                run X times faster than real hardware (default 1)
  --models a,b,c           models on disk (replaces the profile's)
  --preload a,b            models to load at start
  --num-parallel N         OLLAMA_NUM_PARALLEL
  --max-loaded-models N    OLLAMA_MAX_LOADED_MODELS (0 = 3 per GPU)
  --max-queue N            OLLAMA_MAX_QUEUE
  --keep-alive D           OLLAMA_KEEP_ALIVE, e.g. 5m, 30s, -1 (write --keep-alive=-1)
  --context-length N       OLLAMA_CONTEXT_LENGTH (0 = by VRAM, as Ollama does)
  --reply-tokens MIN,MAX   natural reply length in tokens (default 24,160)
  --version V              the Ollama version to report
  --list-models            print the catalogue of models and exit
  -h, --help               this help

Side endpoint (never seen by Ollama clients): GET /_sim/state, GET|POST|DELETE /_sim/faults.`;

/** Parses the command line into serve options. */
export function parseSimArgs(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string", default: "11434" },
      host: { type: "string", default: "127.0.0.1" },
      profile: { type: "string" },
      speed: { type: "string", default: "1" },
      models: { type: "string" },
      preload: { type: "string" },
      "num-parallel": { type: "string" },
      "max-loaded-models": { type: "string" },
      "max-queue": { type: "string" },
      "keep-alive": { type: "string" },
      "context-length": { type: "string" },
      "reply-tokens": { type: "string" },
      version: { type: "string" },
      "list-models": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const overrides: ProfileInput = {
    models: values.models,
    preload: values.preload,
    num_parallel: values["num-parallel"],
    max_loaded_models: values["max-loaded-models"],
    max_queue: values["max-queue"],
    keep_alive: values["keep-alive"],
    context_length: values["context-length"],
    reply_tokens: values["reply-tokens"]?.split(","),
    version: values.version,
  };
  const port = Number(values.port);
  const speed = Number(values.speed);
  const problems: string[] = [];
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`--port must be 0..65535: current value is ${JSON.stringify(values.port)}`);
  }
  if (!(speed > 0)) {
    problems.push(
      `--speed must be a positive number: current value is ${JSON.stringify(values.speed)}`,
    );
  }
  return { values, overrides, port, speed, problems };
}

async function readProfile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`Cannot read the profile ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseSimArgs(Deno.args);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    Deno.exit(2);
  }
  const { values, overrides, port, speed, problems } = parsed;
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values["list-models"]) {
    for (const m of CATALOGUE) {
      console.log(
        `${m.name.padEnd(26)} ${(m.size / 1e9).toFixed(1).padStart(5)} GB  ${
          m.capabilities.join(",")
        }`,
      );
    }
    return;
  }
  let profile;
  try {
    const isFile = values.profile !== undefined && /[./]/.test(values.profile);
    const yaml = isFile ? await readProfile(values.profile!) : undefined;
    profile = resolveProfile({ preset: isFile ? undefined : values.profile, yaml, overrides });
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0 || !profile) {
    console.error(problems.join("\n"));
    Deno.exit(2);
  }
  const running = startSimulator({ profile, speed, port, hostname: values.host });
  const gpus =
    profile.gpus.map((g) => `${g.name} (${(g.vram / 1024 ** 3).toFixed(0)} GiB)`).join(", ") ||
    "no GPU";
  console.log(
    `Simulated Ollama ${profile.version} on ${running.url}: ${profile.name}, ${gpus}, speed ${speed}x`,
  );
  console.log(`Models on disk: ${profile.models.join(", ")}`);
  console.log(
    `Try: curl ${running.url}/api/chat -d '{"model":"${
      profile.models[0]
    }","messages":[{"role":"user","content":"Hello"}]}'`,
  );
  closeOnSignal(running);
  try {
    await running.sim.preload();
  } catch (error) {
    console.error(`Cannot preload ${profile.preload.join(", ")}: ${(error as Error).message}`);
    await running.close();
    Deno.exit(1);
  }
  if (profile.preload.length > 0) console.log(`Loaded: ${profile.preload.join(", ")}`);
}

if (import.meta.main) await main();

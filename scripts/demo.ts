/**
 * `deno task demo`: the main job of Corral.
 *
 * Until the hub exists (issue #4), the demo runs one simulated Ollama host and prints how to talk
 * to it; it then becomes the hub plus several simulated hosts behind real agents.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { resolveProfile } from "./sim/profile.ts";
import { closeOnSignal, startSimulator } from "./sim/server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string", default: "11434" },
    speed: { type: "string", default: "1" },
    profile: { type: "string", default: "rtx4090" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log(`Usage: deno task demo [--port 11434] [--speed 1] [--profile rtx4090]

Runs a simulated Ollama host (the hub and several hosts come with issue #4).`);
  Deno.exit(0);
}

const port = Number(values.port);
const speed = Number(values.speed);
if (!Number.isInteger(port) || port < 0 || port > 65535 || !(speed > 0)) {
  console.error(`--port must be 0..65535 and --speed a positive number`);
  Deno.exit(2);
}

const profile = resolveProfile({ preset: values.profile, overrides: { preload: ["llama3.2:3b"] } });
let running;
try {
  running = startSimulator({ profile, speed, port });
} catch (error) {
  if (error instanceof Deno.errors.AddrInUse) {
    console.error(`Port ${port} is in use (a real Ollama?): try deno task demo --port 11500`);
    Deno.exit(1);
  }
  throw error;
}
const url = running.url;
console.log(`Corral demo: a simulated Ollama host (${profile.name}) at ${url}

The fleet hub is not built yet; this host speaks the full Ollama and OpenAI APIs.
Models on disk: ${profile.models.join(", ")}

  curl ${url}/api/tags
  curl ${url}/api/chat -d '{"model":"llama3.2:3b","messages":[{"role":"user","content":"Hello"}]}'
  curl ${url}/v1/chat/completions -H 'content-type: application/json' \\
       -d '{"model":"llama3.2:3b","messages":[{"role":"user","content":"Hello"}]}'
  OLLAMA_HOST=${url} ollama run llama3.2:3b     # the Ollama CLI, if installed
  curl ${url}/_sim/state                      # what the simulated GPU is doing

Press Ctrl-C to stop.`);

closeOnSignal(running);
try {
  await running.sim.preload();
  console.log(`llama3.2:3b is loaded.`);
} catch (error) {
  console.error(`Cannot preload llama3.2:3b: ${(error as Error).message}`);
}

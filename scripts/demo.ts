/**
 * `deno task demo`: the main job of Corral on one machine. A hub and several simulated GPU hosts,
 * each a simulated Ollama behind a real agent, found by the hub through signed UDP announcements on
 * 127.255.255.255. It prints what to point clients at and runs until interrupted, then stops
 * everything it started.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { randomToken } from "../hub/accounts/sessions.ts";
import type { RunningHub } from "../hub/hub.ts";
import { log } from "../hub/log.ts";
import { DEMO_HOSTS, type DemoFleet, startDemoFleet } from "./demo_fleet.ts";

const HELP = `Usage: deno task demo [options]

Runs a Corral hub and simulated GPU hosts (a simulated Ollama behind a real agent each).

Options:
  --hosts N            simulated hosts (default 4; up to ${DEMO_HOSTS.length} different machines, then repeats)
  --port N             the hub's Ollama and OpenAI APIs (default 11434)
  --ui-port N          the hub's control plane (default 11400)
  --discovery-port N   UDP discovery port for the demo's agents and hub (default 11436)
  --speed X            simulated hardware runs X times faster than real (default 1)
  --data-dir DIR       the demo hub's embedded database (default ./data/demo)
  --db URL             record history in this PostgreSQL instead (or DATABASE_URL)
  --no-history         record no history
  -h, --help           this help`;

function fail(message: string): never {
  console.error(`${message}\n\n${HELP}`);
  Deno.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    args: Deno.args,
    options: {
      hosts: { type: "string", default: "4" },
      port: { type: "string", default: "11434" },
      "ui-port": { type: "string", default: "11400" },
      "discovery-port": { type: "string", default: "11436" },
      speed: { type: "string", default: "1" },
      "data-dir": { type: "string", default: "./data/demo" },
      db: { type: "string" },
      "no-history": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}

function integer(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    fail(`--${name} must be ${min}..${max}, not ${value}`);
  }
  return n;
}
const hosts = integer("hosts", values.hosts, 1, 64);
const port = integer("port", values.port, 0, 65535);
const uiPort = integer("ui-port", values["ui-port"], 0, 65535);
const discoveryPort = integer("discovery-port", values["discovery-port"], 1, 65535);
const speed = Number(values.speed);
if (!(speed > 0)) fail(`--speed must be a positive number, not ${values.speed}`);

console.error(`Starting ${hosts} simulated hosts and the hub...`);
let fleet: DemoFleet;
try {
  fleet = await startDemoFleet({
    hosts,
    port,
    controlPort: uiPort,
    discoveryPort,
    speed,
    log,
    hub: {
      data_dir: values["data-dir"],
      history: { enabled: !values["no-history"], sample_interval: "5s" },
      ...(values.db ?? Deno.env.get("DATABASE_URL")
        ? { database_url: values.db ?? Deno.env.get("DATABASE_URL") }
        : {}),
    },
  });
} catch (error) {
  if (error instanceof Deno.errors.AddrInUse) {
    fail(
      `A port is in use (a real Ollama on ${port}?): try deno task demo --port 11500 --ui-port 11401`,
    );
  }
  throw error;
}

/**
 * The dashboard's line: with history, the user `admin` gets a new random password on every start
 * (made, or reset); without it the control plane has no accounts.
 */
async function dashboardLine(hub: RunningHub): Promise<string> {
  if (!hub.accounts.enabled) {
    return `Dashboard: ${hub.controlUrl}  (open to anyone who reaches it: no accounts without history)`;
  }
  const deadline = Date.now() + 30_000;
  while (!hub.history?.ready() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const password = randomToken().slice(0, 20);
  try {
    await hub.accounts.ensureUser({ username: "admin", password, role: "admin" });
  } catch (error) {
    return `Dashboard: ${hub.controlUrl}  (cannot create the user admin: ${
      (error as Error).message
    })`;
  }
  return `Dashboard: ${hub.controlUrl}  user admin, password ${password}`;
}

const url = fleet.hub.url;
const lines = fleet.hosts.map(({ spec, sim }) => {
  const gpus = sim.sim.profile.gpus.map((g) => g.name).join(" + ") || "CPU only";
  const loaded = spec.preload.length > 0 ? `loaded: ${spec.preload.join(", ")}` : "nothing loaded";
  return `  ${spec.name.padEnd(12)} ${gpus.padEnd(34)} ${loaded}`;
});
console.log(`
Corral demo: one Ollama endpoint for ${fleet.hosts.length} simulated GPU hosts.

${lines.join("\n")}

Point any Ollama or OpenAI client at the hub:

  curl ${url}/api/tags
  curl ${url}/api/chat -d '{"model":"qwen3:8b","messages":[{"role":"user","content":"Hello"}]}'
  curl -i ${url}/v1/chat/completions -H 'content-type: application/json' \\
       -d '{"model":"llama3.2:3b","messages":[{"role":"user","content":"Hello"}]}'
  OLLAMA_HOST=${url} ollama run qwen3:8b        # the Ollama CLI, if installed
  new Ollama({ host: "${url}" })                 # ollama-js
  new OpenAI({ baseURL: "${url}/v1", apiKey: "any" })   # openai-node

Every answer says where it ran: X-Corral-Host and X-Corral-Route headers.
${await dashboardLine(fleet.hub)}

Press Ctrl-C to stop.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.error("\nStopping the hub, the agents and the simulators...");
  await fleet.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

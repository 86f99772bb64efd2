/**
 * One simulated GPU host in its own process, for tests that must kill a host outright
 * (`SIGKILL`: connections reset, nothing said): a simulator and a real agent announcing on the
 * given discovery port. Prints `ready <agent url>` on standard output once both serve.
 *
 * ```
 * deno run -A tests/_fleet_host.ts <name> <preset> <discovery port> <speed> [preload,...] [profile JSON]
 * ```
 *
 * The fleet key comes from CORRAL_FLEET_KEY.
 *
 * @module
 */

import { startDemoHost } from "../scripts/demo_fleet.ts";

const [name, preset, port, speed, preload, profile] = Deno.args;
const host = await startDemoHost(
  {
    name: name!,
    preset: preset!,
    preload: preload ? preload.split(",") : [],
    profile: profile ? JSON.parse(profile) : undefined,
  },
  {
    discoveryPort: Number(port),
    speed: Number(speed),
    fleetKey: Deno.env.get("CORRAL_FLEET_KEY")!,
  },
);
console.log(`ready ${host.agent.url} ${host.sim.url}`);

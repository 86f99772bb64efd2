/**
 * The side endpoint `/_sim/*` that tests and operators use to look inside a simulated host and to
 * switch faults on. Clients of the Ollama API never see it, and faults never apply to it.
 *
 * @module
 */

import { Hono } from "hono";
import type { FaultSpec } from "./faults.ts";
import { json, readBody } from "./http.ts";
import type { Simulator } from "./simulator.ts";

/** The `/_sim` routes of a simulator. */
export function simRoutes(sim: Simulator): Hono {
  const app = new Hono();

  app.get("/_sim/state", () => json(sim.state()));

  app.get("/_sim/faults", () => json(sim.faults.snapshot()));

  app.post("/_sim/faults", async (c) => {
    const spec = await readBody(c.req.raw, "FaultSpec") as FaultSpec;
    const refuseMs = sim.faults.set(spec);
    if (refuseMs !== undefined) {
      if (!sim.onRefuse) throw new RangeError("Cannot refuse connections: not serving on a socket");
      // Answer first, then stop listening.
      setTimeout(() => sim.onRefuse?.(refuseMs), 0);
    }
    return json(sim.faults.snapshot());
  });

  app.delete("/_sim/faults", () => {
    sim.faults.clear();
    return json(sim.faults.snapshot());
  });

  return app;
}

/**
 * A small real fleet for the tests of pull jobs, model actions and their routes: simulated Ollama
 * servers (`scripts/sim/`) behind a real hub, and a {@link DataFetch} that sends the hub's own
 * data-plane requests to it over HTTP, as the hub's app would take them in-process.
 *
 * @module
 */

import { startTestHub, startTestSim, type TestSimOptions, waitFor } from "../tests/_utils.ts";
import type { RunningSimulator } from "../scripts/sim/server.ts";
import type { RunningHub } from "./hub.ts";
import type { DataFetch } from "./model_actions.ts";

/** A running test fleet; `stop()` (or `await using`) ends the hub and the simulators. */
export interface ModelTestFleet extends AsyncDisposable {
  hub: RunningHub;
  /** The simulators by host name. */
  sims: Record<string, RunningSimulator>;
  /** The hub's data plane, as `PullJobs` and `ModelActions` take it. */
  dataFetch: DataFetch;
  /** A host's id at the hub, by name. */
  idOf(name: string): string;
  stop(): Promise<void>;
}

/** Sends a request made for the in-process data plane to the hub at `url` instead. */
export function hubDataFetch(url: string): DataFetch {
  return async (request) => {
    const { pathname, search } = new URL(request.url);
    return await fetch(`${url}${pathname}${search}`, {
      method: request.method,
      headers: request.headers,
      body: request.body ? await request.arrayBuffer() : null,
      signal: request.signal,
    });
  };
}

/** Starts one simulator per named host (plain Ollama hosts of a hub) and waits until all are online. */
export async function startModelTestFleet(
  hosts: Record<string, TestSimOptions>,
): Promise<ModelTestFleet> {
  const sims: Record<string, RunningSimulator> = {};
  const closeSims = () => Promise.all(Object.values(sims).map((sim) => sim.close()));
  let hub: RunningHub;
  try {
    for (const [name, options] of Object.entries(hosts)) {
      sims[name] = startTestSim(options);
      await sims[name].sim.preload();
    }
    hub = await startTestHub({
      insecure: true,
      discovery: { enabled: false },
      ollama: Object.entries(sims).map(([name, sim]) => ({ url: sim.url, name })),
    });
  } catch (error) {
    await closeSims();
    throw error;
  }
  const stop = async () => {
    await hub.stop();
    await closeSims();
  };
  try {
    await waitFor(
      "every host online",
      () => hub.registry.records().every((h) => h.status === "online"),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    hub,
    sims,
    dataFetch: hubDataFetch(hub.url),
    idOf: (name) => hub.registry.find(name)!.id,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

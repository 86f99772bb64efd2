/**
 * Serves a simulator on a TCP port: the one place that opens a socket, so that it can also stop
 * listening for a while (the refuse-connections fault) and listen again on the same port.
 *
 * @module
 */

import { httpUrl } from "../../shared/http_url.ts";
import { createSimApp } from "./app.ts";
import { Simulator, type SimulatorOptions } from "./simulator.ts";

/** Options for {@link startSimulator}. */
export interface ServeOptions extends SimulatorOptions {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** 0 picks a free port. @default 11434 */
  port?: number;
}

/** A running simulator. */
export interface RunningSimulator {
  sim: Simulator;
  /** e.g. `http://127.0.0.1:11434` */
  url: string;
  port: number;
  /** Stops listening, waits for open responses, and stops the simulator's timers. */
  close(): Promise<void>;
}

/** Starts a simulator and serves it until `close()`. */
export function startSimulator(options: ServeOptions): RunningSimulator {
  const { hostname = "127.0.0.1", port = 11434 } = options;
  const sim = new Simulator(options);
  const app = createSimApp(sim);
  let server = serve(hostname, port, app.fetch);
  const boundPort = server.addr.port;
  let reopen: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  sim.onRefuse = (ms) => {
    if (closed || reopen) return;
    const old = server;
    void old.shutdown();
    reopen = setTimeout(() => {
      reopen = undefined;
      if (!closed) server = serve(hostname, boundPort, app.fetch);
    }, ms);
  };

  const url = httpUrl(hostname, boundPort);
  return {
    sim,
    url,
    port: boundPort,
    async close() {
      closed = true;
      if (reopen) clearTimeout(reopen);
      sim.close();
      await server.shutdown();
    },
  };
}

function serve(
  hostname: string,
  port: number,
  handler: (request: Request) => Response | Promise<Response>,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname, port, onListen() {} }, handler);
}

/** Closes a running simulator and exits cleanly on SIGINT or SIGTERM (Ctrl-C, systemd stop). */
export function closeOnSignal(running: RunningSimulator): void {
  const stop = async () => {
    await running.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

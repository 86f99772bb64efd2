/**
 * A stand-in hub for `agent_netns_test.ts`, run inside a network namespace with
 * `ip netns exec`. The fleet key comes from `CORRAL_FLEET_KEY`. Two modes:
 *
 * `listen [PORT]` binds 0.0.0.0:PORT (default 11436), checks every datagram as a hub would (signature
 * with the fleet key, then freshness) and prints one JSON line per datagram on stdout:
 * `{"via":"listen","ok":true,"from":"198.51.100.1","payload":{...}}` or
 * `{"via":"listen","ok":false,"from":"198.51.100.1","reason":"bad_signature"}`. It prints
 * `{"event":"ready"}` once bound, and takes commands on stdin, one a line:
 *
 * - `probe HOST PORT`: sends, from one fresh socket, a probe for agents signed with a wrong key and
 *   an unsigned one, then from a second fresh socket a correctly signed probe. What comes back to
 *   them is printed like the above, with `"via":"forged-probe"` and `"via":"probe"`.
 * - `metrics URL`: fetches the agent's `/metrics` with the fleet token and prints
 *   `{"event":"metrics","status":200,"received":n,"accepted":n,"dropped":{"bad_signature":n,...}}`.
 *
 * It exits when stdin ends.
 *
 * `forge HOST PORT` sends an announcement signed with a wrong key and an unsigned one to HOST:PORT
 * (a broadcast address will do), then exits.
 *
 * @module
 */

import {
  type Announce,
  decodePacket,
  DISCOVERY_PORT,
  encodePacket,
  importFleetKey,
  PacketError,
  type Probe,
  ReplayGuard,
  stamp,
} from "../shared/discovery.ts";
import { fleetToken } from "../shared/fleet_key.ts";

/** A key that is long enough but is not the fleet's. */
const WRONG_KEY = "not the fleet key, but long enough";

function emit(line: Record<string, unknown>): void {
  console.log(JSON.stringify(line));
}

function udp(port: number): Deno.DatagramConn {
  return Deno.listenDatagram({
    hostname: "0.0.0.0",
    port,
    transport: "udp",
    reuseAddress: port !== 0,
  });
}

/** Prints every datagram the socket receives until it is closed. */
async function receiveAll(
  socket: Deno.DatagramConn,
  via: string,
  key: CryptoKey,
  guard: ReplayGuard,
): Promise<void> {
  for (;;) {
    let data: Uint8Array<ArrayBuffer>, from: Deno.Addr;
    try {
      [data, from] = await socket.receive() as [Uint8Array<ArrayBuffer>, Deno.Addr];
    } catch {
      return; // Closed.
    }
    const { hostname } = from as Deno.NetAddr;
    try {
      const payload = await decodePacket(data, key);
      const refusal = guard.check(payload, Date.now());
      if (refusal) emit({ via, ok: false, from: hostname, reason: refusal });
      else emit({ via, ok: true, from: hostname, payload });
    } catch (error) {
      if (!(error instanceof PacketError)) throw error;
      emit({ via, ok: false, from: hostname, reason: error.reason });
    }
  }
}

async function sendTo(socket: Deno.DatagramConn, bytes: Uint8Array, host: string, port: number) {
  await socket.send(bytes, { transport: "udp", hostname: host, port });
}

async function listen(port: number, fleetKey: string): Promise<void> {
  const key = await importFleetKey(fleetKey);
  const wrongKey = await importFleetKey(WRONG_KEY);
  const guard = new ReplayGuard();
  const main = udp(port);
  const sockets = [main];
  const receiving = [receiveAll(main, "listen", key, guard)];
  emit({ event: "ready" });

  const commands = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffer = "";
  for await (const chunk of commands) {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const [command, ...args] = buffer.slice(0, end).trim().split(/\s+/);
      buffer = buffer.slice(end + 1);
      if (command === "probe") {
        const [host = "", toPort = ""] = args;
        const forged = udp(0);
        const genuine = udp(0);
        sockets.push(forged, genuine);
        receiving.push(receiveAll(forged, "forged-probe", key, guard));
        receiving.push(receiveAll(genuine, "probe", key, guard));
        const probe = (): Probe => stamp({ kind: "probe", id: "netns-test-hub", want: "agents" });
        await sendTo(forged, await encodePacket(probe(), wrongKey), host, Number(toPort));
        await sendTo(forged, await encodePacket(probe(), null), host, Number(toPort));
        await sendTo(genuine, await encodePacket(probe(), key), host, Number(toPort));
      } else if (command === "metrics") {
        const response = await fetch(args[0]!, {
          headers: { authorization: `Bearer ${await fleetToken(fleetKey)}` },
        });
        const text = await response.text();
        const value = (name: string) =>
          Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
        const dropped = Object.fromEntries(
          [...text.matchAll(/^corral_discovery_packets_dropped_total\{reason="(\w+)"\} (\S+)$/gm)]
            .map(([, reason, n]) => [reason, Number(n)]),
        );
        emit({
          event: "metrics",
          status: response.status,
          received: value("corral_discovery_packets_received_total"),
          accepted: value("corral_discovery_packets_accepted_total"),
          dropped,
        });
      } else if (command) {
        emit({ event: "error", message: `unknown command ${JSON.stringify(command)}` });
      }
    }
  }
  for (const socket of sockets) socket.close();
  await Promise.all(receiving);
}

async function forge(host: string, port: number): Promise<void> {
  const wrongKey = await importFleetKey(WRONG_KEY);
  const announce = (): Announce =>
    stamp({
      kind: "announce",
      id: "forged-agent",
      name: "forged",
      port: 11435,
      version: "0.0.0",
      bootId: "forged",
    });
  const socket = udp(0);
  try {
    await sendTo(socket, await encodePacket(announce(), wrongKey), host, port);
    await sendTo(socket, await encodePacket(announce(), null), host, port);
  } finally {
    socket.close();
  }
}

if (import.meta.main) {
  const [mode, ...args] = Deno.args;
  const fleetKey = Deno.env.get("CORRAL_FLEET_KEY");
  if (mode === "listen" && fleetKey) {
    await listen(Number(args[0] ?? DISCOVERY_PORT), fleetKey);
  } else if (mode === "forge" && args.length === 2) {
    await forge(args[0]!, Number(args[1]));
  } else {
    console.error(
      "Usage: CORRAL_FLEET_KEY=... _udp_listener.ts listen [PORT] | _udp_listener.ts forge HOST PORT",
    );
    Deno.exit(2);
  }
}

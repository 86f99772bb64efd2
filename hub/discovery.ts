/**
 * The hub's UDP side, and the only hub file that opens datagram sockets. It listens on the
 * discovery port (11436, shared with agents on the same machine through `reuseAddress`), hands
 * each verified agent announcement to its owner, probes for agents at start (three times, since UDP
 * may drop one), and answers signed probes for hubs (agents in client mode) with its data-plane
 * port. Unsigned, badly signed, stale and replayed packets are dropped and counted by reason.
 *
 * @module
 */

import {
  acceptPacket,
  type Announce,
  broadcastAddresses,
  encodePacket,
  type PacketCounters,
  ReplayGuard,
  stamp,
} from "../shared/discovery.ts";

/** Options for {@link startDiscovery}. */
export interface DiscoveryOptions {
  /** The fleet key; `null` in insecure mode. */
  key: CryptoKey | null;
  port: number;
  /** @default "0.0.0.0" */
  hostname?: string;
  /** Where probes go; `null` means each interface's directed broadcast and 127.255.255.255. */
  probeTo: readonly string[] | null;
  /** This hub, for answers to probes. */
  hub: { id: string; name: string; version: string; port: number };
  /** A verified agent announcement and the address it came from. */
  onAnnounce(announce: Announce, from: Deno.NetAddr): void;
  counters: PacketCounters;
  log?: (message: string) => void;
  /** @default Date.now */
  now?: () => number;
}

/** Running discovery. */
export interface Discovery {
  /** The UDP port it listens on. */
  port: number;
  /** Probes for agents now. */
  probe(): Promise<void>;
  stop(): Promise<void>;
}

/** Listens for agents and probes for them. */
export function startDiscovery(options: DiscoveryOptions): Discovery {
  const { key, counters, now = Date.now, log = () => {} } = options;
  const socket = Deno.listenDatagram({
    hostname: options.hostname ?? "0.0.0.0",
    port: options.port,
    transport: "udp",
    reuseAddress: true,
  });
  const guard = new ReplayGuard();
  const timers: ReturnType<typeof setTimeout>[] = [];
  let stopped = false;

  const sendTo = async (payload: Parameters<typeof encodePacket>[0], to: Deno.NetAddr) => {
    try {
      await socket.send(await encodePacket(payload, key), to);
    } catch (error) {
      if (!stopped) log(`cannot send to ${to.hostname}:${to.port}: ${(error as Error).message}`);
    }
  };

  const probe = async () => {
    const targets = options.probeTo ??
      ["127.255.255.255", ...broadcastAddresses(Deno.networkInterfaces())];
    const payload = stamp({ kind: "probe", id: options.hub.id, want: "agents" as const }, now());
    await Promise.all(
      targets.map((hostname) =>
        sendTo(payload, { transport: "udp", hostname, port: options.port })
      ),
    );
  };

  const receiving = (async () => {
    while (!stopped) {
      let data: Uint8Array<ArrayBuffer>, from: Deno.Addr;
      try {
        [data, from] = await socket.receive() as [Uint8Array<ArrayBuffer>, Deno.Addr];
      } catch (error) {
        if (stopped) return;
        log(`discovery socket failed: ${(error as Error).message}`);
        return;
      }
      const payload = await acceptPacket(
        data,
        { key, guard, counters, self: options.hub.id },
        now(),
      );
      const sender = from as Deno.NetAddr;
      if (payload?.kind === "announce") {
        options.onAnnounce(payload, sender);
      } else if (payload?.kind === "probe" && payload.want === "hubs") {
        const { id, name, version, port } = options.hub;
        await sendTo(stamp({ kind: "hub", id, name, version, port }, now()), sender);
      }
    }
  })();

  for (const at of [0, 300, 1000]) timers.push(setTimeout(() => probe(), at));

  return {
    port: (socket.addr as Deno.NetAddr).port,
    probe,
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      socket.close();
      await receiving.catch(() => {});
    },
  };
}

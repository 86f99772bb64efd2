/**
 * The agent's UDP side, and the only agent file that opens datagram sockets: it announces the agent
 * every few seconds on port 11436 to each broadcast address, answers signed hub probes by unicast,
 * and (in client mode) probes for a hub. Packets are built and checked by `shared/discovery.ts`;
 * anything unsigned, badly signed, stale or replayed is dropped and counted.
 *
 * @module
 */

import {
  acceptPacket as accept,
  type Announce,
  broadcastAddresses,
  encodePacket,
  type HubAnnounce,
  type PacketCounters,
  ReplayGuard,
  stamp,
} from "../shared/discovery.ts";
import { httpUrl } from "../shared/http_url.ts";

/** What an announcement says, apart from the fields every packet carries. */
export type AnnounceFields = Omit<Announce, "v" | "ts" | "nonce" | "kind">;

/** Options for {@link startAnnouncer}. */
export interface AnnouncerOptions {
  /** The fleet key; `null` in insecure mode (unsigned packets, none checked). */
  key: CryptoKey | null;
  /** The discovery port to listen on and announce to. */
  port: number;
  /** @default "0.0.0.0" */
  hostname?: string;
  intervalMs: number;
  /** Broadcast addresses; `null` recomputes each interface's at every announcement. */
  addresses: readonly string[] | null;
  /** The announcement's content, read at each send (the boot id or port may change). */
  fields: () => AnnounceFields;
  counters: PacketCounters;
  onSent?: () => void;
  log?: (message: string) => void;
  /** @default Date.now */
  now?: () => number;
}

/** A running announcer. */
export interface Announcer {
  /** The UDP port it listens on (useful when asked for port 0). */
  port: number;
  stop(): Promise<void>;
}

function currentAddresses(configured: readonly string[] | null): readonly string[] {
  return configured ?? broadcastAddresses(Deno.networkInterfaces());
}

/** Binds the discovery port, announces every `intervalMs`, and answers probes for agents. */
export function startAnnouncer(options: AnnouncerOptions): Announcer {
  const { key, counters, now = Date.now, log = () => {} } = options;
  const socket = Deno.listenDatagram({
    hostname: options.hostname ?? "0.0.0.0",
    port: options.port,
    transport: "udp",
    reuseAddress: true,
  });
  const port = (socket.addr as Deno.NetAddr).port;
  const guard = new ReplayGuard();
  const failing = new Set<string>();
  let stopped = false;

  const send = async (hostname: string, toPort: number) => {
    const payload: Announce = stamp({ kind: "announce", ...options.fields() }, now());
    try {
      await socket.send(await encodePacket(payload, key), {
        transport: "udp",
        hostname,
        port: toPort,
      });
      failing.delete(hostname);
      options.onSent?.();
    } catch (error) {
      if (stopped) return;
      // Say it once per address, not every five seconds.
      if (!failing.has(hostname)) {
        log(`cannot announce to ${hostname}: ${(error as Error).message}`);
      }
      failing.add(hostname);
    }
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const announceAll = async () => {
    await Promise.all(currentAddresses(options.addresses).map((a) => send(a, options.port)));
    // ±10 % jitter, so that agents started together do not keep announcing in step.
    const jitter = options.intervalMs * (0.9 + Math.random() * 0.2);
    if (!stopped) timer = setTimeout(announceAll, jitter);
  };

  const receiving = (async () => {
    while (!stopped) {
      let data: Uint8Array<ArrayBuffer>, from: Deno.Addr;
      try {
        [data, from] = await socket.receive() as [Uint8Array<ArrayBuffer>, Deno.Addr];
      } catch (error) {
        if (stopped) return;
        throw error;
      }
      const self = options.fields().id;
      const payload = await accept(data, { key, guard, counters, self }, now());
      if (payload?.kind === "probe" && payload.want === "agents") {
        const sender = from as Deno.NetAddr;
        await send(sender.hostname, sender.port);
      }
    }
  })();

  announceAll();
  return {
    port,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      socket.close();
      await receiving.catch(() => {});
    },
  };
}

/** Options for {@link findHub}. */
export interface FindHubOptions {
  key: CryptoKey | null;
  /** The discovery port hubs listen on. */
  port: number;
  addresses: readonly string[] | null;
  /** Our id, for the probe. */
  id: string;
  /** Give up after this long. @default 3000 */
  timeoutMs?: number;
  counters: PacketCounters;
  /** @default Date.now */
  now?: () => number;
}

/** A hub that answered a probe. */
export interface FoundHub {
  url: string;
  name: string;
  id: string;
  version: string;
}

/**
 * Broadcasts signed probes for hubs (three times, in case one is lost) and returns the first hub
 * that answers with a valid signature, or `null` if none does in time.
 */
export async function findHub(options: FindHubOptions): Promise<FoundHub | null> {
  const { key, counters, now = Date.now, timeoutMs = 3000 } = options;
  const socket = Deno.listenDatagram({ hostname: "0.0.0.0", port: 0, transport: "udp" });
  const guard = new ReplayGuard();
  const timers: ReturnType<typeof setTimeout>[] = [];
  const probe = async () => {
    const packet = await encodePacket(
      stamp({ kind: "probe", id: options.id, want: "hubs" }, now()),
      key,
    );
    for (const hostname of currentAddresses(options.addresses)) {
      await socket.send(packet, { transport: "udp", hostname, port: options.port }).catch(() => {});
    }
  };
  try {
    for (const at of [0, 300, 1000]) timers.push(setTimeout(probe, at));
    timers.push(setTimeout(() => socket.close(), timeoutMs));
    for (;;) {
      let data: Uint8Array<ArrayBuffer>, from: Deno.Addr;
      try {
        [data, from] = await socket.receive() as [Uint8Array<ArrayBuffer>, Deno.Addr];
      } catch {
        return null;
      }
      const payload = await accept(data, { key, guard, counters, self: options.id }, now());
      if (payload?.kind !== "hub") continue;
      const hub = payload as HubAnnounce;
      const { hostname } = from as Deno.NetAddr;
      return {
        url: httpUrl(hostname, hub.port),
        name: hub.name,
        id: hub.id,
        version: hub.version,
      };
    }
  } finally {
    for (const timer of timers) clearTimeout(timer);
    try {
      socket.close();
    } catch {
      // Already closed by the timeout.
    }
  }
}

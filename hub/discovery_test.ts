import assert from "node:assert/strict";
import {
  type Announce,
  decodePacket,
  encodePacket,
  importFleetKey,
  newPacketCounters,
  type PacketCounters,
  type Payload,
  stamp,
} from "../shared/discovery.ts";
import { randomPort, waitFor } from "../tests/_utils.ts";
import { type Discovery, type DiscoveryOptions, startDiscovery } from "./discovery.ts";

const KEY = "hub discovery test fleet key";
const HUB = { id: "hub-1", name: "Hub", version: "0.1.0", port: 11434 };

/** Receives the next datagram on `socket`, or `null` after `ms`. */
async function receive(
  socket: Deno.DatagramConn,
  ms = 2000,
): Promise<[Uint8Array<ArrayBuffer>, Deno.NetAddr] | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  try {
    return await Promise.race([
      socket.receive() as Promise<[Uint8Array<ArrayBuffer>, Deno.NetAddr]>,
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A socket on a free loopback port, for sending to the hub and hearing its answers. */
function peer(): Deno.DatagramConn {
  return Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
}

function announce(now = Date.now()): Announce {
  return stamp(
    { kind: "announce", id: "agent-1", name: "gpu-1", port: 11435, version: "0.1.0", bootId: "b" },
    now,
  );
}

/** Discovery on a free loopback port that probes nowhere, recording what it accepts. */
async function start(
  options: Partial<DiscoveryOptions> = {},
): Promise<{
  discovery: Discovery;
  to: Deno.NetAddr;
  heard: [Announce, Deno.NetAddr][];
  counters: PacketCounters;
  key: CryptoKey;
}> {
  const key = await importFleetKey(KEY);
  const heard: [Announce, Deno.NetAddr][] = [];
  const counters = newPacketCounters();
  const discovery = startDiscovery({
    key,
    port: 0,
    hostname: "127.0.0.1",
    probeTo: [],
    hub: HUB,
    onAnnounce: (a, from) => heard.push([a, from]),
    counters,
    ...options,
  });
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: discovery.port };
  return { discovery, to, heard, counters, key };
}

Deno.test("startDiscovery() hands on a signed announcement with its sender's address", async () => {
  const { discovery, to, heard, counters, key } = await start();
  const sender = peer();
  try {
    const sent = announce();
    await sender.send(await encodePacket(sent, key), to);
    await waitFor("the announcement", () => heard.length === 1);
    const [got, from] = heard[0]!;
    assert.deepEqual(got, sent);
    assert.equal(from.hostname, "127.0.0.1");
    assert.equal(from.port, (sender.addr as Deno.NetAddr).port);
    assert.equal(counters.received, 1);
    assert.equal(counters.accepted, 1);
  } finally {
    sender.close();
    await discovery.stop();
  }
});

Deno.test("startDiscovery() drops unsigned, forged, replayed, stale and malformed packets", async () => {
  const { discovery, to, heard, counters, key } = await start();
  const sender = peer();
  try {
    const wrongKey = await importFleetKey("another fleet's key, long enough");
    const good = await encodePacket(announce(), key);
    const packets = [
      await encodePacket(announce(), null),
      await encodePacket(announce(), wrongKey),
      good,
      good, // the same packet again: a replay
      await encodePacket(announce(Date.now() - 10 * 60_000), key),
      new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]),
    ];
    for (const packet of packets) await sender.send(packet, to);
    await waitFor("every packet counted", () => counters.received === packets.length);
    assert.deepEqual(counters.dropped, {
      malformed: 1,
      unsigned: 1,
      bad_signature: 1,
      stale: 1,
      replayed: 1,
      unsupported_version: 0,
    });
    assert.equal(counters.accepted, 1);
    assert.equal(heard.length, 1, "only the first copy of the good packet gets through");
  } finally {
    sender.close();
    await discovery.stop();
  }
});

Deno.test("startDiscovery() accepts unsigned announcements in insecure mode", async () => {
  const { discovery, to, heard, counters } = await start({ key: null });
  const sender = peer();
  try {
    await sender.send(await encodePacket(announce(), null), to);
    await waitFor("the announcement", () => heard.length === 1);
    assert.equal(counters.accepted, 1);
  } finally {
    sender.close();
    await discovery.stop();
  }
});

Deno.test("startDiscovery() answers a signed probe for hubs by unicast with its data-plane port", async () => {
  const { discovery, to, counters, key } = await start();
  const laptop = peer();
  try {
    // A probe for agents is not for the hub, and an unsigned probe gets no answer.
    await laptop.send(
      await encodePacket(stamp({ kind: "probe", id: "c", want: "agents" }), key),
      to,
    );
    await laptop.send(
      await encodePacket(stamp({ kind: "probe", id: "c", want: "hubs" }), null),
      to,
    );
    await laptop.send(await encodePacket(stamp({ kind: "probe", id: "c", want: "hubs" }), key), to);
    const got = await receive(laptop);
    assert.ok(got, "no answer within 2 s");
    const [bytes, from] = got;
    assert.equal(from.port, discovery.port, "the answer comes from the discovery socket");
    const answer: Payload = await decodePacket(bytes, key);
    assert.equal(answer.kind, "hub");
    assert.equal(answer.kind === "hub" && answer.port, HUB.port);
    assert.equal(answer.id, HUB.id);
    assert.equal(answer.kind === "hub" && answer.name, HUB.name);
    assert.equal(await receive(laptop, 200), null, "one answer only");
    assert.equal(counters.dropped.unsigned, 1);
    assert.equal(counters.accepted, 2);
  } finally {
    laptop.close();
    await discovery.stop();
  }
});

Deno.test("startDiscovery() probes for agents at start and on demand", async () => {
  const port = randomPort();
  const listener = Deno.listenDatagram({
    hostname: "0.0.0.0",
    port,
    transport: "udp",
    reuseAddress: true,
  });
  const key = await importFleetKey(KEY);
  const counters = newPacketCounters();
  const discovery = startDiscovery({
    key,
    port,
    probeTo: ["127.255.255.255"],
    hub: HUB,
    onAnnounce: () => {},
    counters,
  });
  try {
    const first = await receive(listener);
    assert.ok(first, "no probe within 2 s");
    const probe = await decodePacket(first[0], key);
    assert.deepEqual([probe.kind, probe.id], ["probe", HUB.id]);
    assert.equal(probe.kind === "probe" && probe.want, "agents");
    assert.equal(first[1].port, port, "probes leave from the discovery port");

    await discovery.probe();
    const again = await receive(listener);
    assert.ok(again, "no probe after probe()");
    const second = await decodePacket(again[0], key);
    assert.notEqual(second.nonce, probe.nonce, "each probe is fresh");
  } finally {
    listener.close();
    await discovery.stop();
  }
});

Deno.test("Discovery.stop() closes the socket so the port can be bound alone", async () => {
  const { discovery } = await start();
  const port = discovery.port;
  await discovery.stop();
  const again = Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" });
  again.close();
});

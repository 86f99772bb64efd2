import assert from "node:assert/strict";
import {
  decodePacket,
  encodePacket,
  importFleetKey,
  newPacketCounters,
  type Payload,
  stamp,
} from "../shared/discovery.ts";
import { broadcastAddresses } from "../shared/discovery.ts";
import { findHub, startAnnouncer } from "./announce.ts";
import { randomPort } from "../tests/_utils.ts";

const KEY = "announce test fleet key";
const LOOPBACK_BROADCAST = "127.255.255.255";

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

function listen(port: number): Deno.DatagramConn {
  return Deno.listenDatagram({ hostname: "0.0.0.0", port, transport: "udp", reuseAddress: true });
}

const fields = () => ({
  id: "agent-1",
  name: "gpu-1",
  port: 11435,
  version: "0.1.0",
  bootId: "790a4efc-34f5-4461-acd6-d4bdca6157bc",
});

Deno.test("broadcastAddresses() computes each IPv4 interface's directed broadcast", () => {
  const found = broadcastAddresses([
    { family: "IPv4", name: "lo", address: "127.0.0.1", netmask: "255.0.0.0" },
    { family: "IPv4", name: "eth0", address: "192.168.1.23", netmask: "255.255.255.0" },
    { family: "IPv4", name: "eth1", address: "10.20.30.40", netmask: "255.255.240.0" },
    { family: "IPv4", name: "eth2", address: "192.168.1.24", netmask: "255.255.255.0" },
    { family: "IPv4", name: "wg0", address: "10.99.0.2", netmask: "255.255.255.255" },
    { family: "IPv6", name: "eth0", address: "fe80::1", netmask: "ffff:ffff:ffff:ffff::" },
  ]);
  assert.deepEqual(found, ["192.168.1.255", "10.20.31.255"]);
});

Deno.test("startAnnouncer() broadcasts signed announcements that verify", async () => {
  const port = randomPort();
  const key = await importFleetKey(KEY);
  const listener = listen(port);
  const announcer = startAnnouncer({
    key,
    port,
    intervalMs: 100,
    addresses: [LOOPBACK_BROADCAST],
    fields,
    counters: newPacketCounters(),
  });
  try {
    const seen: Payload[] = [];
    while (seen.length < 2) {
      const got = await receive(listener);
      assert.ok(got, "no announcement within 2 s");
      seen.push(await decodePacket(got[0], key));
    }
    for (const payload of seen) {
      assert.equal(payload.kind, "announce");
      assert.equal(payload.id, "agent-1");
    }
    assert.notEqual(seen[0]!.nonce, seen[1]!.nonce);
  } finally {
    await announcer.stop();
    listener.close();
  }
});

Deno.test("startAnnouncer() answers a signed probe by unicast, and drops forged and replayed ones", async () => {
  const port = randomPort();
  const key = await importFleetKey(KEY);
  const counters = newPacketCounters();
  const announcer = startAnnouncer({
    key,
    port,
    intervalMs: 60_000,
    addresses: [],
    fields,
    counters,
  });
  const hub = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  try {
    const probe = await encodePacket(stamp({ kind: "probe", id: "hub-1", want: "agents" }), key);
    await hub.send(probe, to);
    const answer = await receive(hub);
    assert.ok(answer, "no answer to a signed probe");
    const payload = await decodePacket(answer[0], key);
    assert.equal(payload.kind, "announce");

    // The same probe again is a replay; one under another key is forged; one unsigned is refused.
    await hub.send(probe, to);
    const forged = await importFleetKey("not the fleet key at all");
    await hub.send(
      await encodePacket(stamp({ kind: "probe", id: "x", want: "agents" }), forged),
      to,
    );
    await hub.send(await encodePacket(stamp({ kind: "probe", id: "y", want: "agents" }), null), to);
    const stale = stamp({ kind: "probe", id: "z", want: "agents" } as const, Date.now() - 60_000);
    await hub.send(await encodePacket(stale, key), to);
    await hub.send(new TextEncoder().encode("hello"), to);
    assert.equal(await receive(hub, 300), null, "a bad probe was answered");
    assert.deepEqual(counters.dropped, {
      malformed: 1,
      unsigned: 1,
      bad_signature: 1,
      stale: 1,
      replayed: 1,
      unsupported_version: 0,
    });
    assert.equal(counters.received, 6);
    assert.equal(counters.accepted, 1);
  } finally {
    hub.close();
    await announcer.stop();
  }
});

Deno.test("findHub() returns the first hub whose answer verifies", async () => {
  const port = randomPort();
  const key = await importFleetKey(KEY);
  const forgedKey = await importFleetKey("an impostor's fleet key");
  const hub = listen(port);
  const answering = (async () => {
    const got = await receive(hub);
    assert.ok(got, "no probe arrived");
    const probe = await decodePacket(got[0], key);
    assert.equal(probe.kind === "probe" && probe.want, "hubs");
    const reply = (name: string) =>
      stamp({ kind: "hub", id: name, name, port: 4321, version: "0.1.0" } as const);
    const back = { transport: "udp" as const, hostname: got[1].hostname, port: got[1].port };
    // An impostor answers first; only the real hub's answer verifies.
    await hub.send(await encodePacket(reply("impostor"), forgedKey), back);
    await hub.send(await encodePacket(reply("hub-1"), key), back);
  })();
  const counters = newPacketCounters();
  const found = await findHub({
    key,
    port,
    addresses: [LOOPBACK_BROADCAST],
    id: "laptop",
    counters,
    timeoutMs: 2000,
  });
  await answering;
  hub.close();
  assert.deepEqual(found, {
    url: "http://127.0.0.1:4321",
    name: "hub-1",
    id: "hub-1",
    version: "0.1.0",
  });
  assert.equal(counters.dropped.bad_signature, 1);
});

Deno.test("findHub() gives up with null when no hub answers", async () => {
  const found = await findHub({
    key: await importFleetKey(KEY),
    port: randomPort(),
    addresses: [LOOPBACK_BROADCAST],
    id: "laptop",
    counters: newPacketCounters(),
    timeoutMs: 200,
  });
  assert.equal(found, null);
});

/**
 * The discovery packets that agents, hubs and client-mode laptops exchange over UDP port 11436, and
 * how they are signed and checked. Pure: sockets live in `agent/announce.ts` and `hub/discovery.ts`.
 *
 * A packet is:
 *
 * | bytes | field |
 * |---|---|
 * | 4 | magic `0x4C414E41` ("LANA") |
 * | 1 | format version, {@link PACKET_FORMAT} |
 * | 1 | flags: bit 0 set when signed |
 * | 2 | payload length, big-endian |
 * | n | payload: UTF-8 JSON, one of {@link Payload} |
 * | 32 | HMAC-SHA256 under the fleet key of every byte before it (signed packets only) |
 *
 * Every payload carries the protocol version, the sender's id, a timestamp and a random nonce, so a
 * receiver can drop stale packets and replays ({@link ReplayGuard}).
 *
 * @module
 */

import { PROTOCOL_VERSION } from "./protocol.ts";

/** The four bytes every Corral packet starts with: "LANA". */
export const MAGIC = 0x4c414e41;
/** The version of the packet layout (not of the payload, which carries its own `v`). */
export const PACKET_FORMAT = 1;
/** The default UDP port for announcements and probes. */
export const DISCOVERY_PORT = 11436;
/** Packets whose timestamp is further than this from the receiver's clock are stale. */
export const MAX_CLOCK_SKEW_MS = 30_000;
/** Larger packets are refused: an announcement is a few hundred bytes. */
export const MAX_PACKET_BYTES = 1400;

const HEADER_BYTES = 8;
const MAC_BYTES = 32;
const FLAG_SIGNED = 1;

/** Fields every payload carries. */
interface PayloadBase {
  v: typeof PROTOCOL_VERSION;
  /** The sender's stable id (agent id, hub id, client id). */
  id: string;
  /** The sender's clock, milliseconds since the epoch. */
  ts: number;
  /** Random, unique per packet: with `id`, what makes a replay recognisable. */
  nonce: string;
}

/** An agent saying "I am here": broadcast every few seconds, and unicast in answer to a probe. */
export interface Announce extends PayloadBase {
  kind: "announce";
  name: string;
  /** The agent's HTTP API port; the address is the packet's source address. */
  port: number;
  version: string;
  bootId: string;
}

/** A hub (looking for agents) or a client-mode laptop (looking for hubs) asking who is there. */
export interface Probe extends PayloadBase {
  kind: "probe";
  want: "agents" | "hubs";
}

/** A hub answering a probe for hubs, by unicast. */
export interface HubAnnounce extends PayloadBase {
  kind: "hub";
  name: string;
  /** The data-plane port (Ollama and OpenAI API); the address is the packet's source address. */
  port: number;
  version: string;
}

/** Any discovery payload. */
export type Payload = Announce | Probe | HubAnnounce;

/** Why a packet was dropped; each reason is counted separately. */
export type DropReason =
  | "malformed"
  | "unsigned"
  | "bad_signature"
  | "stale"
  | "replayed"
  | "unsupported_version";

/** Thrown by {@link decodePacket} with the reason a packet was refused. */
export class PacketError extends Error {
  /** Creates a packet error with the counted reason. */
  constructor(readonly reason: DropReason, message: string) {
    super(message);
    this.name = "PacketError";
  }
}

/**
 * Imports a fleet key for signing packets.
 *
 * @param fleetKey The shared secret, as configured (at least 16 characters).
 * @returns A key for HMAC-SHA256 signing and verification.
 * @example
 * ```ts
 * const key = await importFleetKey("correct horse battery staple");
 * ```
 */
export function importFleetKey(fleetKey: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(fleetKey),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/**
 * Encodes a payload as a packet, signed when a key is given.
 *
 * @param payload What to send.
 * @param key The fleet key from {@link importFleetKey}; `null` sends an unsigned packet (insecure).
 * @returns The bytes to send.
 * @example
 * ```ts
 * const bytes = await encodePacket(makeProbe("hub-1", "agents"), key);
 * ```
 */
export async function encodePacket(
  payload: Payload,
  key: CryptoKey | null,
): Promise<Uint8Array<ArrayBuffer>> {
  const body = new TextEncoder().encode(JSON.stringify(payload));
  const total = HEADER_BYTES + body.length + (key ? MAC_BYTES : 0);
  if (total > MAX_PACKET_BYTES) {
    throw new RangeError(`Cannot encode packet: ${total} bytes exceeds ${MAX_PACKET_BYTES}`);
  }
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC);
  view.setUint8(4, PACKET_FORMAT);
  view.setUint8(5, key ? FLAG_SIGNED : 0);
  view.setUint16(6, body.length);
  bytes.set(body, HEADER_BYTES);
  if (key) {
    const signed = bytes.subarray(0, HEADER_BYTES + body.length);
    const mac = await crypto.subtle.sign("HMAC", key, signed);
    bytes.set(new Uint8Array(mac), HEADER_BYTES + body.length);
  }
  return bytes;
}

/**
 * Decodes and authenticates a packet. With a key, unsigned and badly signed packets are refused;
 * without one (insecure mode), signatures are not checked. Freshness is checked separately by
 * {@link ReplayGuard}.
 *
 * @param bytes The datagram as received.
 * @param key The fleet key, or `null` in insecure mode.
 * @returns The payload.
 * @throws {PacketError} With the reason the packet was refused.
 * @example
 * ```ts
 * const payload = await decodePacket(await encodePacket(probe, key), key);
 * ```
 */
export async function decodePacket(
  bytes: Uint8Array<ArrayBuffer>,
  key: CryptoKey | null,
): Promise<Payload> {
  if (bytes.length < HEADER_BYTES || bytes.length > MAX_PACKET_BYTES) {
    throw new PacketError("malformed", `Cannot decode packet: ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== MAGIC) {
    throw new PacketError("malformed", "Cannot decode packet: bad magic");
  }
  if (view.getUint8(4) !== PACKET_FORMAT) {
    throw new PacketError(
      "unsupported_version",
      `Cannot decode packet: format ${view.getUint8(4)} is not ${PACKET_FORMAT}`,
    );
  }
  const signed = (view.getUint8(5) & FLAG_SIGNED) !== 0;
  const length = view.getUint16(6);
  const end = HEADER_BYTES + length;
  if (bytes.length !== end + (signed ? MAC_BYTES : 0)) {
    throw new PacketError("malformed", "Cannot decode packet: length does not match");
  }
  if (key) {
    if (!signed) throw new PacketError("unsigned", "Cannot accept packet: it is not signed");
    const ok = await crypto.subtle.verify(
      "HMAC",
      key,
      bytes.subarray(end, end + MAC_BYTES),
      bytes.subarray(0, end),
    );
    if (!ok) throw new PacketError("bad_signature", "Cannot accept packet: bad signature");
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, end)));
  } catch {
    throw new PacketError("malformed", "Cannot decode packet: payload is not JSON");
  }
  return checkPayload(payload);
}

function checkPayload(x: unknown): Payload {
  const bad = (why: string) => new PacketError("malformed", `Cannot decode packet: ${why}`);
  if (typeof x !== "object" || x === null || Array.isArray(x)) {
    throw bad("payload is not an object");
  }
  const p = x as Record<string, unknown>;
  if (p.v !== PROTOCOL_VERSION) {
    throw new PacketError(
      "unsupported_version",
      `Cannot decode packet: protocol ${JSON.stringify(p.v)} is not ${PROTOCOL_VERSION}`,
    );
  }
  const str = (k: string) => {
    if (typeof p[k] !== "string" || p[k] === "") throw bad(`"${k}" must be a non-empty string`);
  };
  const port = (k: string) => {
    const n = p[k];
    if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 65535) {
      throw bad(`"${k}" must be a port number`);
    }
  };
  str("id");
  str("nonce");
  if (typeof p.ts !== "number" || !Number.isFinite(p.ts)) throw bad(`"ts" must be a number`);
  switch (p.kind) {
    case "announce":
      str("name");
      str("version");
      str("bootId");
      port("port");
      break;
    case "hub":
      str("name");
      str("version");
      port("port");
      break;
    case "probe":
      if (p.want !== "agents" && p.want !== "hubs") throw bad(`"want" must be "agents" or "hubs"`);
      break;
    default:
      throw bad(`unknown kind ${JSON.stringify(p.kind)}`);
  }
  return p as unknown as Payload;
}

/** Fills in the fields every payload carries: version, a fresh nonce and the time. */
export function stamp<T extends Omit<Payload, "v" | "ts" | "nonce">>(
  fields: T,
  now: number = Date.now(),
): T & Pick<PayloadBase, "v" | "ts" | "nonce"> {
  const nonce = new Uint8Array(12);
  crypto.getRandomValues(nonce);
  return {
    ...fields,
    v: PROTOCOL_VERSION,
    ts: now,
    nonce: Array.from(nonce, (b) => b.toString(16).padStart(2, "0")).join(""),
  };
}

/** Options for {@link ReplayGuard}. */
export interface ReplayGuardOptions {
  /** @default {MAX_CLOCK_SKEW_MS} */
  windowMs?: number;
  /** Remembered nonces at most; the oldest are forgotten first. @default 10_000 */
  capacity?: number;
}

/**
 * Drops stale and replayed packets: a packet must be stamped within the window of the receiver's
 * clock, and its (sender, nonce) pair must not have been seen within that window. Nonces older than
 * the window need not be remembered, because such a packet is stale anyway.
 */
export class ReplayGuard {
  #seen = new Map<string, number>();
  #windowMs: number;
  #capacity: number;

  /** Creates a guard with an empty memory. */
  constructor(options: ReplayGuardOptions = {}) {
    this.#windowMs = options.windowMs ?? MAX_CLOCK_SKEW_MS;
    this.#capacity = options.capacity ?? 10_000;
  }

  /** Returns why the payload must be dropped, or `null` to accept it (and remember its nonce). */
  check(payload: Payload, now: number): "stale" | "replayed" | null {
    if (Math.abs(now - payload.ts) > this.#windowMs) return "stale";
    const key = `${payload.id}\u0000${payload.nonce}`;
    if (this.#seen.has(key)) return "replayed";
    this.#forget(now);
    this.#seen.set(key, payload.ts);
    return null;
  }

  #forget(now: number): void {
    // Map iteration follows insertion order, which is close to timestamp order.
    for (const [key, ts] of this.#seen) {
      if (this.#seen.size < this.#capacity && now - ts <= this.#windowMs) break;
      this.#seen.delete(key);
    }
  }
}

/** Counts of packets received, accepted and dropped by reason, for `/metrics`. */
export interface PacketCounters {
  received: number;
  accepted: number;
  dropped: Record<DropReason, number>;
}

/** A fresh set of counters at zero. */
export function newPacketCounters(): PacketCounters {
  return {
    received: 0,
    accepted: 0,
    dropped: {
      malformed: 0,
      unsigned: 0,
      bad_signature: 0,
      stale: 0,
      replayed: 0,
      unsupported_version: 0,
    },
  };
}

/** An IPv4 interface as the runtime's `networkInterfaces()` lists it. */
export interface Ipv4Interface {
  family: "IPv4" | "IPv6";
  name: string;
  address: string;
  netmask: string;
}

function toInt(ip: string): number {
  return ip.split(".").reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
}

/**
 * The directed broadcast address of each non-loopback IPv4 interface (address OR NOT netmask),
 * without duplicates. Point-to-point links (/31, /32) have no broadcast address and are left out.
 */
export function broadcastAddresses(interfaces: readonly Ipv4Interface[]): string[] {
  const found = new Set<string>();
  for (const i of interfaces) {
    if (i.family !== "IPv4" || i.address.startsWith("127.")) continue;
    const mask = toInt(i.netmask);
    if (mask >>> 0 >= 0xfffffffe) continue;
    found.add(toIp((toInt(i.address) | ~mask) >>> 0));
  }
  return [...found];
}

/**
 * Checks a received datagram: decoded, authentic and fresh, or counted as dropped. Our own packets
 * (a broadcast comes back to its sender) are passed over without being counted.
 */
export async function acceptPacket(
  bytes: Uint8Array<ArrayBuffer>,
  options: { key: CryptoKey | null; guard: ReplayGuard; counters: PacketCounters; self: string },
  now: number,
): Promise<Payload | null> {
  const { key, guard, counters, self } = options;
  let payload: Payload;
  try {
    payload = await decodePacket(bytes, key);
  } catch (error) {
    if (!(error instanceof PacketError)) throw error;
    counters.received++;
    counters.dropped[error.reason]++;
    return null;
  }
  if (payload.id === self) return null;
  counters.received++;
  const refusal = guard.check(payload, now);
  if (refusal) {
    counters.dropped[refusal]++;
    return null;
  }
  counters.accepted++;
  return payload;
}

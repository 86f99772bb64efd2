/**
 * UUIDv7 (RFC 9562): 48 bits of milliseconds, then random bits. Made by the hub so that a batch
 * retried after a lost acknowledgement is recognised (`ON CONFLICT DO NOTHING`), and time-ordered
 * so that the primary key of a busy table grows at its end.
 *
 * @module
 */

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A new UUIDv7 for time `ms` (milliseconds since the epoch). */
export function uuidv7(ms: number = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let time = Math.floor(ms);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256;
    time = Math.floor(time / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  let out = "";
  for (let i = 0; i < 16; i++) {
    out += HEX[bytes[i]!]!;
    if (i === 3 || i === 5 || i === 7 || i === 9) out += "-";
  }
  return out;
}

/**
 * Header hygiene for proxies (the agent's, client mode's and the hub's): which headers belong to
 * one connection and must not be passed on (RFC 9110 §7.6.1), and a copy without them. Pure.
 *
 * @module
 */

/** Headers that describe one connection, never the message. */
export const HOP_BY_HOP: readonly string[] = [
  "connection",
  "proxy-connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
];

/**
 * A copy of `from` without hop-by-hop headers, the headers its `Connection` header names, and
 * those in `drop` (lower case).
 */
export function copyHeaders(from: Headers, drop: readonly string[] = []): Headers {
  const connection = from.get("connection");
  const named = connection ? connection.split(",").map((s) => s.trim().toLowerCase()) : [];
  const headers = new Headers();
  for (const [name, value] of from) {
    if (HOP_BY_HOP.includes(name) || drop.includes(name) || named.includes(name)) continue;
    headers.append(name, value);
  }
  return headers;
}

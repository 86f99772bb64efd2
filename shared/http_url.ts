/**
 * The base URL of an HTTP server from the host and port it listens on.
 *
 * @module
 */

/**
 * Builds `http://host:port`, bracketing IPv6 addresses as RFC 3986 requires.
 *
 * @param hostname A name, an IPv4 or an IPv6 address.
 * @param port The TCP port.
 * @returns The URL, without a trailing slash.
 * @example
 * ```ts
 * httpUrl("::1", 11434); // "http://[::1]:11434"
 * ```
 */
export function httpUrl(hostname: string, port: number): string {
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/**
 * The URL to reach a server on this machine from the address it listens on: a wildcard address
 * (`0.0.0.0`, `::`) is reached through the loopback.
 *
 * @param hostname The address the server listens on.
 * @param port The TCP port.
 * @returns The URL, without a trailing slash.
 * @example
 * ```ts
 * localUrl("0.0.0.0", 11434); // "http://127.0.0.1:11434"
 * ```
 */
export function localUrl(hostname: string, port: number): string {
  return httpUrl(hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname, port);
}

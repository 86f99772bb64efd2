/**
 * The agent's stable id: the same host keeps the same id across restarts and reboots, and two
 * agents on one machine (a demo fleet) get different ones. Derived from the machine id
 * (`/etc/machine-id`, which systemd keeps for the life of an installation) and the agent's port,
 * hashed so that the machine id itself is not broadcast.
 *
 * @module
 */

/** Derives a 16-hex-digit id from the machine id and the agent's port. */
export async function deriveAgentId(machineId: string, port: number): Promise<string> {
  const data = new TextEncoder().encode(`corral-agent:${machineId.trim()}:${port}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads the machine id, falling back to D-Bus's copy and then to the host name. */
export async function readMachineId(): Promise<string> {
  for (const path of ["/etc/machine-id", "/var/lib/dbus/machine-id"]) {
    try {
      const id = (await Deno.readTextFile(path)).trim();
      if (id) return id;
    } catch {
      // Try the next one.
    }
  }
  return Deno.hostname();
}

/** This machine's id for an agent (or client mode) on `port`. */
export async function localAgentId(port: number): Promise<string> {
  return await deriveAgentId(await readMachineId(), port);
}

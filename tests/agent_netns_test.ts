/**
 * The real agent process in one network namespace, a stand-in hub (`_udp_listener.ts`) in another,
 * joined by a veth pair on TEST-NET-2 (198.51.100.0/24): nothing touches the machine's own network.
 * The agent runs without `--announce-to`, so it announces to the broadcast address it computes for
 * its veth, 198.51.100.255. Needs root and iproute2; skipped with a message elsewhere.
 */

import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../shared/protocol.ts";
import { CORRAL_VERSION } from "../shared/version.ts";

const FLEET_KEY = "the netns test's fleet key, 32 chars";
const UDP_PORT = 11436;
const API_PORT = 11435;
const ADDRESS_A = "198.51.100.1";
const ADDRESS_B = "198.51.100.2";
const BROADCAST = "198.51.100.255";
const AGENT_NAME = "corral-netns-test";
const NO_PROXY = `${ADDRESS_A},${ADDRESS_B},127.0.0.1,localhost`;
const ROOT = new URL("..", import.meta.url).pathname;
const AGENT = new URL("../agent/main.ts", import.meta.url).pathname;
const LISTENER = new URL("./_udp_listener.ts", import.meta.url).pathname;

/** Runs `ip` synchronously; returns its error output when it fails, `null` when it succeeds. */
function ipSync(...args: string[]): string | null {
  const output = new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).outputSync();
  if (output.success) return null;
  return new TextDecoder().decode(output.stderr).trim() || `exit code ${output.code}`;
}

/**
 * Why namespaces cannot be made here, or `null` when they can. Synchronous, because whether a test
 * is ignored must be known when it is registered.
 */
function whyNoNamespaces(): string | null {
  try {
    if (Deno.permissions.querySync({ name: "run" }).state !== "granted") return "no --allow-run";
    if (Deno.permissions.querySync({ name: "sys", kind: "uid" }).state !== "granted") {
      return "no --allow-sys";
    }
    if (Deno.uid() !== 0) return `not running as root (uid ${Deno.uid()})`;
    try {
      ipSync("-V");
    } catch {
      return "no `ip` command (iproute2)";
    }
    const trial = `corral-probe-${Deno.pid}`;
    ipSync("netns", "del", trial);
    const added = ipSync("netns", "add", trial);
    if (added) return `\`ip netns add\` fails: ${added}`;
    try {
      const veth = ipSync("-n", trial, "link", "add", "t0", "type", "veth", "peer", "name", "t1");
      if (veth) return `cannot make a veth pair: ${veth}`;
      const exec = ipSync("netns", "exec", trial, "true");
      if (exec) return `\`ip netns exec\` fails: ${exec}`;
    } finally {
      ipSync("netns", "del", trial);
    }
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const cannot = whyNoNamespaces();
if (cannot) {
  console.warn(
    `agent_netns_test.ts: SKIPPED, cannot make network namespaces: ${cannot}. ` +
      "Run `deno test --allow-all tests/agent_netns_test.ts` as root with iproute2 to run it.",
  );
}

async function ip(...args: string[]): Promise<void> {
  const output = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  if (!output.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
}

/** Deletes a namespace if it exists (a leftover from an earlier run, or ours at the end). */
async function deleteNamespace(name: string): Promise<void> {
  await new Deno.Command("ip", { args: ["netns", "del", name], stdout: "null", stderr: "null" })
    .output();
}

/** A line of the listener's output. */
interface Line {
  event?: string;
  via?: string;
  ok?: boolean;
  from?: string;
  reason?: string;
  payload?: Record<string, unknown>;
  status?: number;
  received?: number;
  accepted?: number;
  dropped?: Record<string, number>;
}

/** Collects a stream's text as it arrives, and waits for what it should contain. */
class Collector {
  text = "";
  readonly done: Promise<void>;
  #wake: () => void = () => {};

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        this.text += chunk;
        this.#wake();
      }
      this.#wake();
    })();
  }

  /** Complete lines parsed as JSON (anything else is skipped). */
  get lines(): Line[] {
    return this.text.split("\n").slice(0, -1).flatMap((line) => {
      try {
        return [JSON.parse(line) as Line];
      } catch {
        return [];
      }
    });
  }

  /** Resolves with the first value `check` finds, or throws after `ms`. */
  async waitFor<T>(what: string, check: () => T | undefined, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = check();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** Waits for a line of the listener's output that matches. */
  line(what: string, match: (line: Line) => boolean, ms?: number): Promise<Line> {
    return this.waitFor(what, () => this.lines.find(match), ms);
  }
}

/** A process started in a namespace, with its output collected. */
function spawnIn(namespace: string, args: string[], stdin: "piped" | "null" = "null") {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", namespace, Deno.execPath(), "run", "--allow-all", ...args],
    cwd: ROOT,
    // A proxy from the environment could not reach into the namespaces.
    env: { CORRAL_FLEET_KEY: FLEET_KEY, NO_COLOR: "1", NO_PROXY: NO_PROXY, no_proxy: NO_PROXY },
    stdin,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Collector(child.stdout);
  const stderr = new Collector(child.stderr);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  return {
    child,
    stdout,
    stderr,
    status,
    /** Kills it if it still runs, and waits for it and its output. */
    async close(): Promise<void> {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch {
          // It has just exited.
        }
      }
      await status;
      await Promise.all([stdout.done, stderr.done]);
    },
  };
}

/** Resolves with the status, or kills the process and throws if it takes longer than `ms`. */
async function exitWithin(
  process: ReturnType<typeof spawnIn>,
  what: string,
  ms: number,
): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not exit within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([process.status, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name:
    "agent announcements cross a veth pair between network namespaces, signed; forged ones are rejected",
  ignore: cannot !== null,
  async fn() {
    const nsA = `corral-a-${Deno.pid}`;
    const nsB = `corral-b-${Deno.pid}`;
    const processes: ReturnType<typeof spawnIn>[] = [];
    try {
      await Promise.all([nsA, nsB].map(deleteNamespace));
      for (const ns of [nsA, nsB]) {
        await ip("netns", "add", ns);
        await ip("-n", ns, "link", "set", "lo", "up");
      }
      await ip(
        "link",
        "add",
        "veth-a",
        "netns",
        nsA,
        "type",
        "veth",
        "peer",
        "name",
        "veth-b",
        "netns",
        nsB,
      );
      await ip("-n", nsA, "addr", "add", `${ADDRESS_A}/24`, "brd", "+", "dev", "veth-a");
      await ip("-n", nsB, "addr", "add", `${ADDRESS_B}/24`, "brd", "+", "dev", "veth-b");
      await ip("-n", nsA, "link", "set", "veth-a", "up");
      await ip("-n", nsB, "link", "set", "veth-b", "up");

      // The stand-in hub, bound before the agent starts so that it hears the first announcement.
      const listener = spawnIn(nsB, [LISTENER, "listen", String(UDP_PORT)], "piped");
      processes.push(listener);
      const commands = listener.child.stdin.getWriter();
      const command = (line: string) => commands.write(new TextEncoder().encode(`${line}\n`));
      let agent: ReturnType<typeof spawnIn> | undefined;
      const diagnose = (error: unknown) => {
        throw new Error(
          `${(error as Error).message}\nlistener stdout:\n${listener.stdout.text}` +
            `listener stderr:\n${listener.stderr.text}agent stderr:\n${agent?.stderr.text ?? ""}`,
        );
      };
      try {
        await listener.stdout.line("the listener to bind", (l) => l.event === "ready");

        // The real agent, with no --announce-to: it must find 198.51.100.255 by itself.
        agent = spawnIn(nsA, [
          AGENT,
          "--gpus",
          "none",
          "--ollama",
          "http://127.0.0.1:9",
          "--listen",
          `0.0.0.0:${API_PORT}`,
          "--announce-interval",
          "1s",
          "--name",
          AGENT_NAME,
          "--disk",
          "/",
        ]);
        processes.push(agent);
        await agent.stderr.waitFor(
          "the agent to say where it announces",
          () => agent!.stderr.text.match(/announcing on UDP (\d+) to (.*)$/m) ?? undefined,
        ).then(([, port, targets]) => {
          assert.equal(port, String(UDP_PORT));
          assert.equal(targets, BROADCAST);
        });

        const broadcast = await listener.stdout.line(
          "a signed announcement from the agent",
          (l) => l.via === "listen" && l.ok === true && l.payload?.kind === "announce",
        );
        assert.equal(broadcast.from, ADDRESS_A);
        const announce = broadcast.payload!;
        assert.equal(announce.v, PROTOCOL_VERSION);
        assert.equal(announce.name, AGENT_NAME);
        assert.equal(announce.port, API_PORT);
        assert.equal(announce.version, CORRAL_VERSION);
        const bootId = (await Deno.readTextFile("/proc/sys/kernel/random/boot_id")).trim();
        assert.equal(announce.bootId, bootId);
        assert.match(announce.id as string, /^\S+$/);
        assert.ok(Math.abs(Date.now() - (announce.ts as number)) < 10_000, "fresh timestamp");
        assert.ok(
          listener.stdout.lines.every((l) => l.ok !== false),
          "nothing refused before the forgeries",
        );

        // Forgeries, broadcast from the agent's namespace: one signed with another key, one unsigned.
        const forger = spawnIn(nsA, [LISTENER, "forge", BROADCAST, String(UDP_PORT)]);
        processes.push(forger);
        assert.equal((await exitWithin(forger, "the forger", 5000)).code, 0, forger.stderr.text);
        for (const reason of ["bad_signature", "unsigned"]) {
          const refused = await listener.stdout.line(
            `the forged packet to be refused as ${reason}`,
            (l) => l.via === "listen" && l.ok === false && l.reason === reason,
          );
          assert.equal(refused.from, ADDRESS_A);
        }

        // A signed probe for agents, unicast to the agent, is answered by unicast; the forged and
        // unsigned probes sent just before it are not. The agent reads probes in order, so by the
        // time the genuine one is answered the forged ones have been dealt with.
        await command(`probe ${ADDRESS_A} ${UDP_PORT}`);
        const answer = await listener.stdout.line(
          "the agent to answer the signed probe",
          (l) => l.via === "probe",
        );
        assert.equal(answer.ok, true, `answer refused: ${answer.reason}`);
        assert.equal(answer.from, ADDRESS_A);
        assert.equal(answer.payload?.kind, "announce");
        assert.equal(answer.payload?.id, announce.id);
        assert.equal(answer.payload?.bootId, bootId);
        assert.equal(answer.payload?.port, API_PORT);

        // The agent's own counters, read over the veth through its API with the fleet token.
        await command(`metrics http://${ADDRESS_A}:${API_PORT}/metrics`);
        const metrics = await listener.stdout.line(
          "the agent's metrics",
          (l) => l.event === "metrics",
        );
        assert.equal(metrics.status, 200);
        assert.ok(metrics.accepted! >= 1, `accepted: ${metrics.accepted}`);
        assert.ok(metrics.dropped!.bad_signature! >= 1, JSON.stringify(metrics.dropped));
        assert.ok(metrics.dropped!.unsigned! >= 1, JSON.stringify(metrics.dropped));
        assert.deepEqual(
          listener.stdout.lines.filter((l) => l.via === "forged-probe"),
          [],
          "the agent answered a forged probe",
        );

        // A clean shutdown on SIGTERM.
        agent.child.kill("SIGTERM");
        const status = await exitWithin(agent, "the agent, after SIGTERM", 5000);
        assert.equal(status.code, 0, `agent exit: ${JSON.stringify(status)}`);
        assert.match(agent.stderr.text, /SIGTERM: stopping/);
        assert.doesNotMatch(agent.stderr.text, /panic|uncaught|unexpected error/i);

        await commands.close();
        assert.equal((await exitWithin(listener, "the listener", 5000)).code, 0);
        assert.deepEqual(
          listener.stdout.lines.filter((l) => l.event === "error"),
          [],
          "the listener understood every command",
        );
      } catch (error) {
        diagnose(error);
      } finally {
        await commands.close().catch(() => {});
      }
    } finally {
      await Promise.all(processes.map((p) => p.close()));
      await Promise.all([nsA, nsB].map(deleteNamespace));
    }
  },
});

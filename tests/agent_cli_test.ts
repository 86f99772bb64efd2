/**
 * `deno task agent` as an operator meets it: refusing to start without a fleet key and saying how
 * to make one, reporting every configuration problem at once, and stopping cleanly on SIGTERM.
 */

import assert from "node:assert/strict";
import { randomPort, waitFor } from "./_utils.ts";

const MAIN = new URL("../agent/main.ts", import.meta.url).pathname;

function agent(args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  });
}

/** Starts the agent, collecting its log lines; `stop()` sends SIGTERM and resolves to the exit code. */
function running(args: string[], env: Record<string, string> = {}) {
  const child = agent(args, env).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      lines.push(...chunk.split("\n"));
    }
  })();
  return {
    lines,
    saw: (text: string) => lines.some((l) => l.includes(text)),
    waitFor: (text: string) =>
      waitFor(`"${text}" in the log`, () => lines.some((l) => l.includes(text)), 15_000),
    async stop(): Promise<number> {
      child.kill("SIGTERM");
      const { code } = await child.status;
      await reading;
      await child.stdout.cancel();
      return code;
    },
  };
}

Deno.test("agent refuses to start without a fleet key, and says how to make one", async () => {
  const { code, stderr } = await agent(["--gpus", "none"]).output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 2);
  assert.match(
    text,
    /^Cannot start the agent:\n {2}- no fleet key: .*openssl rand -base64 32.*--insecure/,
  );
});

Deno.test("agent reports every configuration problem together and exits non-zero", async () => {
  const dir = await Deno.makeTempDir({ prefix: "corral_cli_" });
  try {
    await Deno.writeTextFile(`${dir}/agent.yaml`, "slots: many\ngpu: nvidia\n");
    const { code, stderr } = await agent(
      ["--config", `${dir}/agent.yaml`, "--listen", "nowhere"],
      { CORRAL_FLEET_KEY: "short" },
    ).output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 2);
    const problems = text.split("\n").filter((l) => l.startsWith("  - "));
    assert.equal(problems.length, 4, text);
    assert.match(text, /agent\.yaml: unknown setting "gpu"/);
    assert.match(text, /agent\.yaml: slots: must be an integer/);
    assert.match(text, /--listen: must be HOST:PORT or PORT/);
    assert.match(text, /CORRAL_FLEET_KEY: must be at least 16 characters/);
    assert.ok(!text.includes('short"'), "the key was echoed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agent refuses an unknown flag and points at --help", async () => {
  const { code, stderr } = await agent(["--fleet-key", "abc"]).output();
  assert.equal(code, 2);
  assert.match(new TextDecoder().decode(stderr), /Unknown option '--fleet-key'.*\(see --help\)/);
});

Deno.test("agent stops cleanly on SIGTERM", async () => {
  const run = running([
    "--insecure",
    "--gpus",
    "none",
    "--listen",
    "127.0.0.1:0",
    "--ollama",
    "http://127.0.0.1:9",
    "--announce-to",
    "127.0.0.1",
    "--announce-port",
    String(randomPort()),
  ]);
  await run.waitFor("corral-agent 0.");
  assert.ok(run.saw("UNSIGNED (--insecure)"));
  assert.equal(await run.stop(), 0, run.lines.join("\n"));
  assert.ok(run.saw("SIGTERM: stopping"));
});

Deno.test("agent --mode auto runs in client mode when no local Ollama answers", async () => {
  const run = running([
    "--mode",
    "auto",
    "--ollama",
    "http://127.0.0.1:9",
    "--client-listen",
    "127.0.0.1:0",
    "--announce-to",
    "127.0.0.1",
    "--announce-port",
    String(randomPort()),
  ], { CORRAL_FLEET_KEY: "a fleet key for this test" });
  await run.waitFor("in client mode: point");
  assert.ok(run.saw("no Ollama answers at http://127.0.0.1:9"));
  assert.equal(await run.stop(), 0, run.lines.join("\n"));
});

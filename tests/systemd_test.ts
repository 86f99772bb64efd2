/**
 * The agent's systemd unit passes `systemd-analyze verify` with no output at all (warnings count as
 * failures), and runs the agent the way the README installs it.
 */

import assert from "node:assert/strict";

const UNIT = new URL("../systemd/corral-agent.service", import.meta.url);

function hasSystemdAnalyze(): boolean {
  try {
    return new Deno.Command("systemd-analyze", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}

const canVerify = hasSystemdAnalyze();
if (!canVerify) {
  console.warn(
    "tests/systemd_test.ts: skipped: systemd-analyze is missing (apt-get install systemd)",
  );
}

Deno.test({
  name: "systemd/corral-agent.service passes systemd-analyze verify without a warning",
  ignore: !canVerify,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "corral_unit_" });
    try {
      // verify checks that ExecStart's binary exists: point it at this machine's deno.
      const text = (await Deno.readTextFile(UNIT)).replace("/usr/local/bin/deno", Deno.execPath());
      const path = `${dir}/corral-agent.service`;
      await Deno.writeTextFile(path, text);
      const { code, stdout, stderr } = await new Deno.Command("systemd-analyze", {
        args: ["verify", path],
        env: { SYSTEMD_LOG_COLOR: "0" },
      }).output();
      const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
      assert.equal(output.trim(), "", output);
      assert.equal(code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("systemd/corral-agent.service runs the bundled agent as README installs it", async () => {
  const text = await Deno.readTextFile(UNIT);
  const execStart = /^ExecStart=(.*)$/m.exec(text)![1]!;
  assert.match(execStart, /\/opt\/corral\/corral-agent\.js --config \/etc\/corral\/agent\.yaml$/);
  // The unstable APIs the agent uses, as deno.json enables them for `deno task agent`.
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  for (const feature of denoJson.unstable as string[]) {
    assert.ok(execStart.includes(`--unstable-${feature}`), `ExecStart lacks --unstable-${feature}`);
  }
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  for (
    const path of ["/opt/corral/corral-agent.js", "/etc/corral/agent.yaml", "/etc/corral/fleet.key"]
  ) {
    assert.ok(text.includes(path.replace(/\/corral-agent\.js$/, "")), path);
    assert.ok(readme.includes(path), `the README does not say how to install ${path}`);
  }
  // Least privilege: its own user, no capabilities, a read-only system.
  for (
    const line of [
      "DynamicUser=yes",
      "CapabilityBoundingSet=",
      "ProtectSystem=strict",
      "NoNewPrivileges=yes",
      "Restart=on-failure",
    ]
  ) {
    assert.match(text, new RegExp(`^${line}$`, "m"));
  }
});

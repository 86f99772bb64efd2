import assert from "node:assert/strict";
import { verifyPassword } from "../hub/accounts/password.ts";
import { findUser } from "../hub/accounts/users.ts";
import { openPglite } from "../hub/history/pglite.ts";
import { freshPglite } from "../hub/history/testing.ts";
import {
  databaseSettings,
  type FleetIo,
  generatePassword,
  parseFleetArgs,
  runUsersCommand,
} from "./fleet.ts";

/** The permissions `deno task fleet` runs with (deno.json). */
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-sys=hostname",
];

Deno.test("parseFleetArgs() reads the users commands and their options", () => {
  assert.deepEqual(parseFleetArgs(["users", "add", "Alice", "--role", "viewer"]).command, {
    action: "add",
    name: "alice",
    role: "viewer",
    passwordStdin: false,
  });
  assert.deepEqual(parseFleetArgs(["users", "add", "bob"]).command?.action, "add");
  assert.equal((parseFleetArgs(["users", "add", "bob"]).command as { role: string }).role, "admin");
  assert.deepEqual(parseFleetArgs(["users", "passwd", "bob", "--password-stdin"]).command, {
    action: "passwd",
    name: "bob",
    passwordStdin: true,
  });
  const list = parseFleetArgs([
    "users",
    "list",
    "--data-dir",
    "/srv/corral",
    "--db",
    "postgres://x/y",
  ]);
  assert.deepEqual(list, {
    help: false,
    command: { action: "list" },
    config: undefined,
    db: "postgres://x/y",
    dataDir: "/srv/corral",
  });
  assert.equal(parseFleetArgs(["--help"]).help, true);
  assert.throws(() => parseFleetArgs(["keys", "list"]), /Unknown command "keys"/);
  assert.throws(() => parseFleetArgs(["users", "add"]), /needs a NAME/);
  assert.throws(
    () => parseFleetArgs(["users", "remove", "bob", "--role", "admin"]),
    /takes no --role/,
  );
  assert.throws(() => parseFleetArgs(["users", "add", "bob", "--role", "root"]), /role must be/);
  assert.throws(() => parseFleetArgs(["users", "add", "bad name"]), /username must be/);
  assert.throws(() => parseFleetArgs(["users", "list", "--verbose"]), /Unknown option/);
});

Deno.test("databaseSettings() finds the database as the hub does: flag > env > config file", () => {
  const yaml = "data_dir: /from/yaml\nlisten: 0.0.0.0:11434\n";
  const args = { help: false, command: null };
  assert.equal(databaseSettings(args, {}, yaml).dataDir, "/from/yaml");
  assert.equal(databaseSettings(args, { CORRAL_DATA_DIR: "/from/env" }, yaml).dataDir, "/from/env");
  assert.equal(databaseSettings({ ...args, dataDir: "/flag" }, {}, yaml).dataDir, "/flag");
  const pg = databaseSettings(args, { DATABASE_URL: "postgres://u:p@db/corral" });
  assert.equal(pg.databaseUrl, "postgres://u:p@db/corral");
  assert.equal(databaseSettings(args, {}, "history:\n  enabled: false\n").enabled, false);
});

function recorder(stdin = ""): FleetIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), readStdin: () => Promise.resolve(stdin) };
}

Deno.test({
  name: "runUsersCommand() adds, lists, changes passwords and removes users",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using fresh = await freshPglite();
    const { db } = fresh;
    const add = recorder();
    await runUsersCommand(
      db,
      { action: "add", name: "root", role: "admin", passwordStdin: false },
      add,
    );
    assert.equal(add.lines[0], "user root (admin) created");
    const password = /^password: (\S{24})$/.exec(add.lines[1]!)![1]!;
    assert.ok(await verifyPassword(password, (await findUser(db, "root"))!.passwordHash));

    const viewer = recorder("viewer-password\n");
    await runUsersCommand(
      db,
      { action: "add", name: "val", role: "viewer", passwordStdin: true },
      viewer,
    );
    assert.deepEqual(viewer.lines, ["user val (viewer) created"], "no password printed");
    assert.ok(await verifyPassword("viewer-password", (await findUser(db, "val"))!.passwordHash));

    const list = recorder();
    await runUsersCommand(db, { action: "list" }, list);
    assert.deepEqual(list.lines, ["root\tadmin\tenabled\tnever", "val\tviewer\tenabled\tnever"]);

    const passwd = recorder("new-password-for-val\n");
    await runUsersCommand(db, { action: "passwd", name: "val", passwordStdin: true }, passwd);
    assert.ok(
      await verifyPassword("new-password-for-val", (await findUser(db, "val"))!.passwordHash),
    );
    await assert.rejects(
      runUsersCommand(
        db,
        { action: "passwd", name: "val", passwordStdin: true },
        recorder("short"),
      ),
      /8 to 1024 characters/,
    );
    await assert.rejects(
      runUsersCommand(db, { action: "remove", name: "root" }, recorder()),
      /at least one enabled admin/,
    );
    await assert.rejects(
      runUsersCommand(db, { action: "remove", name: "nobody" }, recorder()),
      /No user "nobody"/,
    );
    const remove = recorder();
    await runUsersCommand(db, { action: "remove", name: "val" }, remove);
    assert.deepEqual(remove.lines, ["user val removed"]);
  },
});

async function fleet(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, new URL("./fleet.ts", import.meta.url).pathname, ...args],
    // Empty is unset: the database is only what the test says.
    env: { NO_COLOR: "1", DATABASE_URL: "", CORRAL_DATA_DIR: "", CORRAL_HUB_CONFIG: "", ...env },
    stdin: "null",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test({
  name: "deno task fleet: users add on a fresh data dir, then refused while a hub holds it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "corral-fleet-" });
    try {
      const added = await fleet(["users", "add", "ops", "--data-dir", dir], {});
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, /^user ops \(admin\) created\npassword: \S{24}\n$/);
      const listed = await fleet(["users", "list"], { CORRAL_DATA_DIR: dir });
      assert.equal(listed.stdout, "ops\tadmin\tenabled\tnever\n");

      const held = await openPglite(dir); // as a running hub holds it
      try {
        const refused = await fleet(["users", "list", "--data-dir", dir], {});
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /A running hub holds the embedded database .*setup link/);
      } finally {
        await held.close();
      }
      const usage = await fleet(["users", "frobnicate"], {});
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /Unknown users command "frobnicate"/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("generatePassword() makes 24 base64url characters", () => {
  assert.match(generatePassword(), /^[A-Za-z0-9_-]{24}$/);
  assert.notEqual(generatePassword(), generatePassword());
});

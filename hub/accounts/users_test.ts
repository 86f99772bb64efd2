import assert from "node:assert/strict";
import { FleetError } from "../../shared/errors.ts";
import { testBothBackends } from "../history/testing.ts";
import { verifyPassword } from "./password.ts";
import {
  changeUser,
  createUser,
  deleteUser,
  ensureUser,
  findUser,
  lastAdminProblem,
  listUsers,
  parseNewUser,
  parseUserChange,
  parseUsername,
} from "./users.ts";

function rejectsWith(status: number, pattern: RegExp) {
  return (error: unknown) =>
    error instanceof FleetError && error.status === status && pattern.test(error.message);
}

Deno.test("parseUsername() lower-cases and allows 1 to 64 of a-z 0-9 . _ -", () => {
  assert.equal(parseUsername(" Alice.B_c-9 "), "alice.b_c-9");
  assert.equal(parseUsername("x".repeat(64)), "x".repeat(64));
  for (const bad of ["", "x".repeat(65), "al ice", "bob@example", "élodie", 7]) {
    assert.throws(() => parseUsername(bad), rejectsWith(400, /username must be/));
  }
});

Deno.test("parseNewUser() and parseUserChange() check every field", () => {
  assert.deepEqual(parseNewUser({ username: "Bob", password: "12345678" }), {
    username: "bob",
    password: "12345678",
    role: "viewer",
  });
  assert.throws(
    () => parseNewUser({ username: "bob", password: "short", role: "admin" }),
    /at least 8/,
  );
  assert.throws(
    () => parseNewUser({ username: "bob", password: "12345678", role: "root" }),
    /role must be/,
  );
  assert.throws(() => parseNewUser([]), /JSON object/);
  assert.deepEqual(parseUserChange({ disabled: true, role: "admin" }), {
    disabled: true,
    role: "admin",
  });
  assert.throws(() => parseUserChange({}), /nothing to change/);
  assert.throws(() => parseUserChange({ disabled: "yes" }), /true or false/);
});

Deno.test("lastAdminProblem() protects the last enabled admin only", () => {
  const admin = { username: "root", role: "admin" as const, disabled: false };
  assert.match(lastAdminProblem(admin, { role: "viewer", disabled: false }, 1)!, /Cannot demote/);
  assert.match(lastAdminProblem(admin, { role: "admin", disabled: true }, 1)!, /Cannot disable/);
  assert.match(lastAdminProblem(admin, null, 1)!, /Cannot delete "root"/);
  assert.equal(lastAdminProblem(admin, { role: "admin", disabled: false }, 1), null);
  assert.equal(lastAdminProblem(admin, null, 2), null);
  assert.equal(lastAdminProblem({ ...admin, role: "viewer" }, null, 1), null);
  assert.equal(lastAdminProblem({ ...admin, disabled: true }, null, 1), null);
});

await testBothBackends("users: create, list, taken names, and the last admin kept", async (db) => {
  const root = await createUser(db, { username: "root", password: "password-1", role: "admin" });
  assert.equal(root.role, "admin");
  assert.equal(root.lastLogin, null);
  assert.ok(root.createdAt > Date.now() - 60_000);
  await assert.rejects(
    createUser(db, { username: "root", password: "password-2", role: "viewer" }),
    rejectsWith(409, /Username "root" is taken/),
  );
  const viewer = await createUser(db, { username: "val", password: "password-2", role: "viewer" });
  assert.deepEqual((await listUsers(db)).map((u) => u.username), ["root", "val"]);

  for (const change of [{ role: "viewer" as const }, { disabled: true }]) {
    await assert.rejects(
      changeUser(db, root.id, change),
      rejectsWith(409, /at least one enabled admin/),
    );
  }
  await assert.rejects(deleteUser(db, root.id), rejectsWith(409, /Cannot delete "root"/));
  await assert.rejects(changeUser(db, 999_999, { role: "admin" }), rejectsWith(404, /No user/));

  await changeUser(db, viewer.id, { role: "admin" });
  await changeUser(db, root.id, { disabled: true });
  await assert.rejects(deleteUser(db, viewer.id), rejectsWith(409, /Cannot delete "val"/));
  await deleteUser(db, root.id);
  assert.deepEqual((await listUsers(db)).map((u) => u.username), ["val"]);
});

await testBothBackends("ensureUser() creates, then resets the password and enables", async (db) => {
  await createUser(db, { username: "boss", password: "password-0", role: "admin" });
  const made = await ensureUser(db, { username: "admin", password: "password-1", role: "admin" });
  await changeUser(db, made.id, { disabled: true });
  const again = await ensureUser(db, { username: "admin", password: "password-2", role: "admin" });
  assert.equal(again.id, made.id);
  assert.equal(again.disabled, false);
  const found = await findUser(db, "ADMIN");
  assert.ok(await verifyPassword("password-2", found!.passwordHash));
});

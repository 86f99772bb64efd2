/**
 * `deno task fleet`: the admin CLI. For now, the dashboard's users, in the database the hub uses
 * (its configuration file, `--db`/`DATABASE_URL`, or the embedded database in
 * `--data-dir`/`CORRAL_DATA_DIR`):
 *
 *     deno task fleet users add NAME [--role admin|viewer] [--password-stdin]
 *     deno task fleet users list
 *     deno task fleet users remove NAME
 *     deno task fleet users passwd NAME [--password-stdin]
 *
 * Without `--password-stdin`, a strong password is made and printed once. Output is one plain
 * line per fact, for scripts (`password: …`, and tab-separated columns from `list`). The embedded
 * database can be opened by one process at a time: while a hub runs on it, use the setup link it
 * printed (or the dashboard) instead.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { MIN_PASSWORD, type Role } from "../shared/dashboard.ts";
import { encodeBase64Url } from "../shared/encoding.ts";
import { FleetError } from "../shared/errors.ts";
import { parsePassword } from "../hub/accounts/password.ts";
import {
  changeUser,
  createUser,
  deleteUser,
  findUser,
  listUsers,
  parseRole,
  parseUsername,
} from "../hub/accounts/users.ts";
import { ConfigError, loadHubConfig } from "../hub/config.ts";
import type { Db } from "../hub/history/db.ts";
import { migrate } from "../hub/history/migrate.ts";
import { DataDirLockedError, openPglite } from "../hub/history/pglite.ts";
import { openPostgres } from "../hub/history/postgres.ts";
import type { HistoryConfig } from "../hub/history/settings.ts";

/** The usage text. */
export const FLEET_HELP = `Usage: deno task fleet users COMMAND [options]

Manages the dashboard's users in the hub's database.

Commands:
  users add NAME [--role admin|viewer] [--password-stdin]   a new user (default role: admin)
  users list                                                 name, role, state, last login
  users remove NAME                                          delete a user and their sessions
  users passwd NAME [--password-stdin]                       a new password; ends their sessions

Without --password-stdin a strong password is made and printed once.

Options (the same database as the hub's):
  --config FILE      the hub's YAML configuration (or CORRAL_HUB_CONFIG)
  --db URL           PostgreSQL (better: DATABASE_URL)
  --data-dir DIR     the embedded database's directory (or CORRAL_DATA_DIR; default ./data)
  -h, --help         this help`;

/** One users command, parsed. */
export type UsersCommand =
  | { action: "add"; name: string; role: Role; passwordStdin: boolean }
  | { action: "list" }
  | { action: "remove"; name: string }
  | { action: "passwd"; name: string; passwordStdin: boolean };

/** The command line, parsed. */
export interface FleetArgs {
  help: boolean;
  command: UsersCommand | null;
  config?: string;
  db?: string;
  dataDir?: string;
}

/** Parses the command line; throws a TypeError saying what is wrong. */
export function parseFleetArgs(args: string[]): FleetArgs {
  const { values, positionals } = parseArgs({
    args,
    options: {
      role: { type: "string" },
      "password-stdin": { type: "boolean", default: false },
      config: { type: "string" },
      db: { type: "string" },
      "data-dir": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const common = { config: values.config, db: values.db, dataDir: values["data-dir"] };
  if (values.help) return { help: true, command: null, ...common };
  const [group, action, name, ...rest] = positionals;
  if (group !== "users") throw new TypeError(`Unknown command "${group ?? ""}": try users`);
  const needName = () => {
    if (!name) throw new TypeError(`users ${action} needs a NAME`);
    if (rest.length > 0) throw new TypeError(`Unexpected "${rest[0]}"`);
    return parseUsername(name);
  };
  const only = (allowed: string[]) => {
    const given = [
      values.role !== undefined && "--role",
      values["password-stdin"] && "--password-stdin",
    ].filter((f): f is string => f !== false && !allowed.includes(f));
    if (given.length > 0) throw new TypeError(`users ${action} takes no ${given.join(" or ")}`);
  };
  let command: UsersCommand;
  switch (action) {
    case "add":
      only(["--role", "--password-stdin"]);
      command = {
        action,
        name: needName(),
        role: parseRole(values.role ?? "admin"),
        passwordStdin: values["password-stdin"],
      };
      break;
    case "passwd":
      only(["--password-stdin"]);
      command = { action, name: needName(), passwordStdin: values["password-stdin"] };
      break;
    case "remove":
      only([]);
      command = { action, name: needName() };
      break;
    case "list":
      only([]);
      if (name) throw new TypeError(`Unexpected "${name}"`);
      command = { action };
      break;
    default:
      throw new TypeError(`Unknown users command "${action ?? ""}": add, list, remove or passwd`);
  }
  return { help: false, command, ...common };
}

/** Where a command writes and what it reads. */
export interface FleetIo {
  out(line: string): void;
  /** Standard input, whole (for `--password-stdin`). */
  readStdin(): Promise<string>;
}

/** A strong random password: 24 base64url characters (144 bits). */
export function generatePassword(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(18)));
}

async function newPassword(passwordStdin: boolean, io: FleetIo): Promise<[string, boolean]> {
  if (!passwordStdin) return [generatePassword(), true];
  const text = (await io.readStdin()).replace(/\r?\n$/, "");
  try {
    return [parsePassword(text), false];
  } catch {
    throw new FleetError(
      "BAD_REQUEST",
      `The password on standard input must have ${MIN_PASSWORD} to 1024 characters`,
      400,
    );
  }
}

async function userId(db: Db, name: string): Promise<number> {
  const user = await findUser(db, name);
  if (!user) throw new FleetError("NOT_FOUND", `No user "${name}"`, 404);
  return user.id;
}

const when = (ms: number | null) => ms === null ? "never" : new Date(ms).toISOString();

/** Runs one users command on an open, migrated database. */
export async function runUsersCommand(db: Db, command: UsersCommand, io: FleetIo): Promise<void> {
  switch (command.action) {
    case "list":
      for (const u of await listUsers(db)) {
        io.out(
          [u.username, u.role, u.disabled ? "disabled" : "enabled", when(u.lastLogin)].join("\t"),
        );
      }
      return;
    case "add": {
      const [password, made] = await newPassword(command.passwordStdin, io);
      const user = await createUser(db, { username: command.name, password, role: command.role });
      io.out(`user ${user.username} (${user.role}) created`);
      if (made) io.out(`password: ${password}`);
      return;
    }
    case "passwd": {
      const id = await userId(db, command.name);
      const [password, made] = await newPassword(command.passwordStdin, io);
      await changeUser(db, id, { password });
      io.out(`password of ${command.name} changed; their sessions have ended`);
      if (made) io.out(`password: ${password}`);
      return;
    }
    case "remove":
      await deleteUser(db, await userId(db, command.name));
      io.out(`user ${command.name} removed`);
      return;
  }
}

/** The history settings the hub would use, from the same sources. */
export function databaseSettings(args: FleetArgs, env: Record<string, string>, yamlText?: string) {
  const config = loadHubConfig({
    yamlText,
    yamlName: args.config ?? env.CORRAL_HUB_CONFIG,
    env,
    // The CLI talks to no agent: the fleet key does not matter here.
    flags: { db: args.db, "data-dir": args.dataDir, insecure: true },
  });
  return config.history;
}

async function openDb(history: HistoryConfig): Promise<Db> {
  return history.databaseUrl
    ? openPostgres(history.databaseUrl)
    : await openPglite(history.dataDir);
}

async function main(): Promise<number> {
  let args: FleetArgs;
  try {
    args = parseFleetArgs(Deno.args);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${FLEET_HELP}`);
    return 2;
  }
  if (args.help || !args.command) {
    console.log(FLEET_HELP);
    return 0;
  }
  const env = Deno.env.toObject();
  const path = args.config ?? env.CORRAL_HUB_CONFIG;
  let history: HistoryConfig;
  try {
    history = databaseSettings(args, env, path ? await Deno.readTextFile(path) : undefined);
  } catch (error) {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(`Cannot read the config file "${path}": ${(error as Error).name}`);
    return 2;
  }
  if (!history.enabled) {
    console.error("This hub runs with history off: without a database it has no users");
    return 1;
  }
  let db: Db;
  try {
    db = await openDb(history);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    console.error(
      `A running hub holds the embedded database in ${history.dataDir}: stop it first, or use the ` +
        "setup link it printed (or the dashboard's users page)",
    );
    return 1;
  }
  try {
    await migrate(db);
    await runUsersCommand(db, args.command, {
      out: (line) => console.log(line),
      readStdin: () => new Response(Deno.stdin.readable).text(),
    });
    return 0;
  } catch (error) {
    if (error instanceof FleetError) {
      console.error(error.message);
      return 1;
    }
    console.error(`Cannot use the database (${db.where}): ${(error as Error).message}`);
    return 1;
  } finally {
    await db.close();
  }
}

if (import.meta.main) Deno.exit(await main());

/**
 * A throwaway PostgreSQL cluster that a test can stop and start: `initdb` in a temporary directory,
 * run as the `postgres` user on a free port (TOOLCHAIN.md). Needs root and Debian's PostgreSQL
 * server binaries; {@link clusterMissing} says why it cannot run where it cannot.
 *
 * @module
 */

import { randomPort } from "./_utils.ts";

const BIN_ROOT = "/usr/lib/postgresql";

async function run(command: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`${command} ${args.join(" ")} failed:\n${text}`);
  return text;
}

function binDir(): string | null {
  try {
    const versions = [...Deno.readDirSync(BIN_ROOT)].map((e) => e.name).sort().reverse();
    for (const version of versions) {
      const bin = `${BIN_ROOT}/${version}/bin`;
      try {
        Deno.statSync(`${bin}/pg_ctl`);
        return bin;
      } catch {
        continue;
      }
    }
  } catch {
    return null;
  }
  return null;
}

/** Why a throwaway cluster cannot be made here, or `null` when it can. */
export function clusterMissing(): string | null {
  if (Deno.uid() !== 0) return "needs root (to run PostgreSQL as the postgres user)";
  if (!binDir()) return `needs PostgreSQL's server binaries in ${BIN_ROOT}/*/bin`;
  return null;
}

/** A running throwaway cluster. */
export interface Cluster extends AsyncDisposable {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  /** Stops the server (fast shutdown: sessions are cut, as in a crash of the network path). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its files. */
  destroy(): Promise<void>;
}

/** Creates and starts a cluster. */
export async function startCluster(): Promise<Cluster> {
  const bin = binDir()!;
  const dir = await Deno.makeTempDir({ prefix: "corral-pg-" });
  await run("chown", ["postgres:", dir]);
  const port = randomPort();
  const asPostgres = (tool: string, args: string[]) =>
    run("runuser", ["-u", "postgres", "--", `${bin}/${tool}`, ...args]);
  await asPostgres("initdb", ["-D", `${dir}/data`, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () =>
    asPostgres("pg_ctl", ["-D", `${dir}/data`, "-l", `${dir}/log`, "-w", "-o", options, "start"])
      .then(() => {});
  const stop = () =>
    asPostgres("pg_ctl", ["-D", `${dir}/data`, "-m", "fast", "-w", "stop"]).then(() => {});
  await start();
  let running = true;
  const destroy = async () => {
    if (running) await stop().catch(() => {});
    running = false;
    await Deno.remove(dir, { recursive: true });
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await stop();
      running = false;
    },
    start: async () => {
      await start();
      running = true;
    },
    destroy,
    [Symbol.asyncDispose]: destroy,
  };
}

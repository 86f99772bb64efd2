/**
 * nginx as a reference reverse proxy for the hub benchmark: Debian's package, run in the
 * foreground from a generated configuration in a temporary directory, on a free port, with
 * `proxy_pass` to an upstream with keep-alive, HTTP/1.1 upstream and `proxy_buffering off`.
 *
 * @module
 */

/** Where Debian's package puts the binary, for when `/usr/sbin` is not on `PATH`. */
const CANDIDATES = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"];

/** What {@link nginxConfig} needs. */
export interface NginxConfigOptions {
  /** The directory that holds the configuration, the pid file, logs and temporary files. */
  dir: string;
  /** The port nginx listens on, on 127.0.0.1. */
  port: number;
  /** The upstream's base URL, e.g. `http://127.0.0.1:11434`. */
  upstream: string;
  /** Idle keep-alive connections to the upstream kept per worker. @default {256} */
  keepalive?: number;
  /** @default {1} */
  workers?: number;
}

/**
 * The nginx configuration of the benchmark: one server on 127.0.0.1 that passes every request to
 * the upstream over kept-alive HTTP/1.1 connections without buffering the answer, no access log.
 *
 * @throws {TypeError} When `upstream` is not an `http://host:port` URL.
 */
export function nginxConfig(options: NginxConfigOptions): string {
  const { dir, port, keepalive = 256, workers = 1 } = options;
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== "http:") {
    throw new TypeError(`Cannot proxy to "${options.upstream}": only http:// is supported`);
  }
  const server = upstream.port ? upstream.host : `${upstream.host}:80`;
  return `worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  keepalive_requests 1000000;
  upstream backend {
    server ${server};
    keepalive ${keepalive};
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`;
}

/** The nginx binary: on `PATH` or where Debian installs it; `null` when there is none. */
export async function findNginx(): Promise<string | null> {
  const onPath = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean).map((d) => `${d}/nginx`);
  for (const path of [...onPath, ...CANDIDATES]) {
    try {
      const info = await Deno.stat(path);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return path;
    } catch {
      // Not there.
    }
  }
  return null;
}

/** What `nginx -v` says, e.g. `nginx/1.22.1`. */
export async function nginxVersionOf(binary: string): Promise<string> {
  const out = await new Deno.Command(binary, { args: ["-v"], stdout: "null" }).output();
  return new TextDecoder().decode(out.stderr).trim().replace(/^nginx version: /, "");
}

/** A running nginx. */
export interface RunningNginx {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  /** The master process. */
  pid: number;
  /** Its configuration, pid file, logs and temporary files; removed by `stop()`. */
  dir: string;
  /** The worker processes (children of the master), which do the proxying. */
  workerPids(): Promise<number[]>;
  /** Stops nginx (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts `nginx -p <dir> -c <dir>/nginx.conf -g 'daemon off;'` in front of `upstream` and waits
 * until it accepts connections.
 *
 * @throws {Error} When nginx exits or does not listen within 10 s (with its error log).
 */
export async function startNginx(binary: string, upstream: string): Promise<RunningNginx> {
  const dir = await Deno.makeTempDir({ prefix: "corral-bench-nginx-" });
  // nginx started by root runs its workers as nobody, who must be able to reach the directory.
  await Deno.chmod(dir, 0o755);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await Deno.writeTextFile(`${dir}/nginx.conf`, nginxConfig({ dir, port, upstream }));
  const child = new Deno.Command(binary, {
    args: ["-p", dir, "-e", `${dir}/error.log`, "-c", `${dir}/nginx.conf`, "-g", "daemon off;"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  void (async () => {
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr = (stderr + text).slice(-4000);
    }
  })();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const errorLog = () => Deno.readTextFile(`${dir}/error.log`).catch(() => "");
  const stop = async () => {
    if (!exited) child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (!exited) child.kill("SIGKILL");
    }, 5000);
    await status;
    clearTimeout(timer);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (exited) {
      const log = await errorLog();
      await stop();
      throw new Error(`nginx exited at start:\n${stderr}${log}`);
    }
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (performance.now() > deadline) {
        const log = await errorLog();
        await stop();
        throw new Error(`nginx did not listen on port ${port} within 10 s:\n${stderr}${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    dir,
    async workerPids() {
      const text = await Deno.readTextFile(`/proc/${child.pid}/task/${child.pid}/children`)
        .catch(() => "");
      return text.trim().split(/\s+/).filter(Boolean).map(Number);
    },
    stop,
  };
}

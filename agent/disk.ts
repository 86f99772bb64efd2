/**
 * Disk space for the configured paths, from POSIX `df -P -k`. Deno has no `statfs` of its own, and
 * Node's (`node:fs`) costs about 10 MB of resident memory for Deno's Node layer, a sixth of the
 * agent's budget; one short `df` every ten seconds costs almost nothing. Disk space changes slowly,
 * so samples in between reuse the last reading.
 *
 * @module
 */

import type { DiskSample } from "../shared/protocol.ts";

/** Sizes from one `df -P -k` data line, in bytes. */
export interface DfLine {
  total: number;
  used: number;
  /** Available to unprivileged users: what Ollama can write. */
  free: number;
}

const LINE = /^.*?\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+\S.*$/;

/**
 * Parses the output of `df -P -k PATH`: a header, then one line per filesystem.
 *
 * @throws {SyntaxError} When no data line can be read.
 */
export function parseDfPosix(text: string): DfLine {
  const lines = text.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "");
  const match = LINE.exec(lines[1] ?? "");
  if (!match) throw new SyntaxError(`Cannot parse df output: ${JSON.stringify(lines[1] ?? "")}`);
  return {
    total: Number(match[1]) * 1024,
    used: Number(match[2]) * 1024,
    free: Number(match[3]) * 1024,
  };
}

/** Options for {@link createDiskReader}. */
export interface DiskReaderOptions {
  /** Run `df` at most this often; reads in between return the last result. @default 10_000 */
  everyMs?: number;
  /** The `df` to run, for tests. @default "df" */
  df?: string;
}

/** Reads disk space for `paths`, in their order; a path that `df` cannot stat is left out. */
export function createDiskReader(
  paths: readonly string[],
  options: DiskReaderOptions = {},
): { read(): Promise<DiskSample[]> } {
  const { everyMs = 10_000, df = "df" } = options;
  let last: DiskSample[] = [];
  let readAt = -Infinity;

  async function one(path: string): Promise<DiskSample | null> {
    try {
      const { success, stdout } = await new Deno.Command(df, {
        args: ["-P", "-k", "--", path],
        stdout: "piped",
        stderr: "null",
        stdin: "null",
      }).output();
      if (!success) return null;
      return { path, ...parseDfPosix(new TextDecoder().decode(stdout)) };
    } catch {
      return null;
    }
  }

  return {
    async read() {
      if (paths.length === 0 || performance.now() - readAt < everyMs) return last;
      readAt = performance.now();
      last = (await Promise.all(paths.map(one))).filter((s) => s !== null);
      return last;
    },
  };
}

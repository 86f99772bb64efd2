import assert from "node:assert/strict";
import { createDiskReader, parseDfPosix } from "./disk.ts";

Deno.test("parseDfPosix() reads sizes in bytes from GNU df -P -k", () => {
  const text = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n" +
    "/dev/nvme0n1p2   960302804 412045660 499401532      46% /\n";
  assert.deepEqual(parseDfPosix(text), {
    total: 960302804 * 1024,
    used: 412045660 * 1024,
    free: 499401532 * 1024,
  });
});

Deno.test("parseDfPosix() reads filesystem and mount names with spaces (busybox, NFS)", () => {
  const text = "Filesystem           1024-blocks    Used Available Capacity Mounted on\n" +
    "nas:/export/ollama models 3905110000 2905110000 1000000000  75% /mnt/ollama models\n";
  assert.equal(parseDfPosix(text).free, 1000000000 * 1024);
});

Deno.test("parseDfPosix() refuses output without a data line", () => {
  assert.throws(
    () => parseDfPosix("Filesystem 1024-blocks Used Available Capacity Mounted on\n"),
    SyntaxError,
  );
  assert.throws(() => parseDfPosix(""), SyntaxError);
});

Deno.test("createDiskReader() reads real disks in order, skips missing paths and caches", async () => {
  const reader = createDiskReader(["/", "/no/such/path", "/tmp"], { everyMs: 60_000 });
  const first = await reader.read();
  assert.deepEqual(first.map((d) => d.path), ["/", "/tmp"]);
  for (const d of first) assert.ok(d.total > 0 && d.free <= d.total && d.used <= d.total);
  assert.equal(await reader.read(), first, "a second read within the interval reuses the first");
});

Deno.test("createDiskReader() reports nothing when df is missing", async () => {
  const reader = createDiskReader(["/"], { df: "/no/such/df" });
  assert.deepEqual(await reader.read(), []);
});

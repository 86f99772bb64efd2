import assert from "node:assert/strict";
import { findNginx, nginxConfig, startNginx } from "./nginx.ts";

const nginx = await findNginx();

Deno.test("nginxConfig() proxies unbuffered over kept-alive HTTP/1.1 to the upstream", () => {
  const text = nginxConfig({ dir: "/tmp/x", port: 8080, upstream: "http://127.0.0.1:11434" });
  assert.match(text, /listen 127\.0\.0\.1:8080;/);
  assert.match(text, /upstream backend \{\s*server 127\.0\.0\.1:11434;\s*keepalive 256;/);
  assert.match(text, /proxy_pass http:\/\/backend;/);
  assert.match(text, /proxy_http_version 1\.1;/);
  assert.match(text, /proxy_set_header Connection "";/);
  assert.match(text, /proxy_buffering off;/);
  assert.match(text, /pid \/tmp\/x\/nginx\.pid;/);
});

Deno.test("nginxConfig() gives an upstream without a port port 80", () => {
  const text = nginxConfig({ dir: "/d", port: 1, upstream: "http://sim.local" });
  assert.match(text, /server sim\.local:80;/);
});

Deno.test("nginxConfig() refuses an https upstream", () => {
  assert.throws(
    () => nginxConfig({ dir: "/d", port: 1, upstream: "https://127.0.0.1:1" }),
    { name: "TypeError", message: /only http:\/\/ is supported/ },
  );
});

Deno.test({
  name: "startNginx() passes streamed lines through one by one and stop() removes its directory",
  ignore: nginx === null,
  async fn() {
    const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
      let n = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          controller.enqueue(new TextEncoder().encode(`{"n":${n}}\n`));
          if (++n === 3) controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "application/x-ndjson" } });
    });
    const running = await startNginx(nginx!, `http://127.0.0.1:${upstream.addr.port}`);
    try {
      assert.ok((await running.workerPids()).length >= 1);
      const response = await fetch(`${running.url}/api/generate`, { method: "POST", body: "{}" });
      const reads: string[] = [];
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) reads.push(decoder.decode(chunk));
      assert.deepEqual(reads, ['{"n":0}\n', '{"n":1}\n', '{"n":2}\n']);
    } finally {
      await running.stop();
      await upstream.shutdown();
    }
    await assert.rejects(Deno.stat(running.dir), Deno.errors.NotFound);
  },
});

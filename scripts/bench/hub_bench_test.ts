import assert from "node:assert/strict";
import { timeStream } from "./agent_bench.ts";

/** Serves NDJSON written as the given chunks, 10 ms apart. */
function serveChunks(chunks: string[]): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        controller.enqueue(new TextEncoder().encode(chunks[i]!));
        if (++i === chunks.length) controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "application/x-ndjson" } });
  });
}

Deno.test("timeStream() counts no coalesced read when every line comes on its own", async () => {
  const server = serveChunks(['{"a":1}\n', '{"a":2}\n', '{"a":3}\n']);
  try {
    const timing = await timeStream(`http://127.0.0.1:${server.addr.port}/`, {}, "{}");
    assert.equal(timing.lines, 3);
    assert.equal(timing.reads, 3);
    assert.equal(timing.coalescedReads, 0);
    assert.equal(timing.maxLinesPerRead, 1);
    assert.ok(timing.firstLine >= timing.first && timing.total >= timing.firstLine);
  } finally {
    await server.shutdown();
  }
});

Deno.test("timeStream() counts a read that ends two lines as coalesced", async () => {
  const server = serveChunks(['{"a":1}\n{"a":2}\n', '{"a":3}\n']);
  try {
    const timing = await timeStream(`http://127.0.0.1:${server.addr.port}/`, {}, "{}");
    assert.equal(timing.lines, 3);
    assert.equal(timing.coalescedReads, 1);
    assert.equal(timing.maxLinesPerRead, 2);
  } finally {
    await server.shutdown();
  }
});

Deno.test("timeStream() times the first line at the read that ends it, not the first byte", async () => {
  const server = serveChunks(['{"a":', "1}\n", '{"a":2}\n']);
  try {
    const timing = await timeStream(`http://127.0.0.1:${server.addr.port}/`, {}, "{}");
    assert.equal(timing.lines, 2);
    assert.equal(timing.coalescedReads, 0);
    assert.ok(timing.firstLine > timing.first, `${timing.firstLine} > ${timing.first}`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("timeStream() throws on an error status", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response('{"error":"no"}\n{"error":"no"}\n', { status: 500 }),
  );
  try {
    await assert.rejects(
      timeStream(`http://127.0.0.1:${server.addr.port}/`, {}, "{}"),
      { message: /stream: 500/ },
    );
  } finally {
    await server.shutdown();
  }
});

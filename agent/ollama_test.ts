import assert from "node:assert/strict";
import { OllamaClient } from "./ollama.ts";

/** A fetch that records each request and answers with `answer(request)`. */
function recording(answer: (request: Request, body: string) => Response) {
  const seen: { method: string; url: string; type: string | null; body: string }[] = [];
  const fetcher = (async (input: URL | Request | string, init?: RequestInit) => {
    const request = new Request(input, init);
    const body = await request.text();
    seen.push({
      method: request.method,
      url: request.url,
      type: request.headers.get("content-type"),
      body,
    });
    return answer(request, body);
  }) as typeof fetch;
  return { seen, fetcher };
}

const INFO = { "general.architecture": "qwen3", "qwen3.block_count": 36 };

Deno.test("OllamaClient.show() posts the model's name to /api/show and returns the body", async () => {
  const { seen, fetcher } = recording(() =>
    Response.json({ model_info: INFO, capabilities: ["completion"] })
  );
  const client = new OllamaClient("http://127.0.0.1:11434/", { fetch: fetcher });
  const body = await client.show("qwen3:8b");
  assert.deepEqual(body, { model_info: INFO, capabilities: ["completion"] });
  await client.show("qwen3:8b", { verbose: true });
  assert.deepEqual(seen, [
    {
      method: "POST",
      url: "http://127.0.0.1:11434/api/show",
      type: "application/json",
      body: '{"model":"qwen3:8b"}',
    },
    {
      method: "POST",
      url: "http://127.0.0.1:11434/api/show",
      type: "application/json",
      body: '{"model":"qwen3:8b","verbose":true}',
    },
  ]);
});

Deno.test("OllamaClient.show() throws on an HTTP error and on a timeout", async () => {
  const missing = recording(() => Response.json({ error: "model 'x' not found" }, { status: 404 }));
  const client = new OllamaClient("http://127.0.0.1:11434", { fetch: missing.fetcher });
  await assert.rejects(client.show("x"), { message: "Ollama answered /api/show with HTTP 404" });

  const hanging =
    ((_input: URL | Request | string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init!.signal!.addEventListener("abort", () => reject(init!.signal!.reason));
      })) as typeof fetch;
  const slow = new OllamaClient("http://127.0.0.1:11434", { fetch: hanging, timeoutMs: 10 });
  await assert.rejects(slow.show("x"), {
    message: "Cannot reach Ollama at http://127.0.0.1:11434: timed out",
  });
});

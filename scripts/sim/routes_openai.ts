/**
 * The OpenAI-compatible routes, as Ollama's `openai` middleware translates them onto the native
 * handlers (OLLAMA_API.md §2.11, §3.2): chat and legacy completions (JSON or SSE), embeddings and
 * models, with errors in the OpenAI envelope.
 *
 * @module
 */

import { Hono } from "hono";
import type { Message, RequestOptions, Tool, ToolCall } from "../../shared/ollama.ts";
import type { GenerationEvent, GenerationPlan } from "./engine.ts";
import { modelNotFound, SimError } from "./errors.ts";
import { json, readBody, SSE_TYPE, streamResponse } from "./http.ts";
import { chatPlan, readMessages } from "./routes_inference.ts";
import type { Simulator } from "./simulator.ts";
import { countTokens } from "./text.ts";
import { readFormat, requireCapability, requireModel } from "./wire.ts";

type Done = Extract<GenerationEvent, { type: "done" }>;

/** Maps Ollama's status to the OpenAI error `type`, as `openai.NewError` does. */
export function openAIError(error: SimError): Response {
  const type = error.status === 400
    ? "invalid_request_error"
    : error.status === 404
    ? "not_found_error"
    : "api_error";
  return json({ error: { message: error.message, type, param: null, code: null } }, error.status);
}

function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

function finishReason(events: readonly GenerationEvent[], done: Done): string {
  if (events.some((e) => e.type === "tool_calls")) return "tool_calls";
  return done.reason === "length" ? "length" : "stop";
}

function usage(done: Done) {
  const prompt = done.metrics.prompt_eval_count;
  const completion = done.metrics.eval_count;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

function openAICalls(calls: readonly ToolCall[]) {
  return calls.map((call, index) => ({
    id: call.id,
    index,
    type: "function",
    function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments) },
  }));
}

/** Sampling options from an OpenAI body, with Ollama's OpenAI defaults (temperature 1, top_p 1). */
function samplingOptions(body: Record<string, unknown>): RequestOptions {
  const stop = typeof body.stop === "string" ? [body.stop] : body.stop as string[] | undefined;
  const options: RequestOptions = {
    temperature: (body.temperature as number | undefined) ?? 1,
    top_p: (body.top_p as number | undefined) ?? 1,
  };
  if (body.max_tokens !== undefined && body.max_tokens !== null) {
    options.num_predict = body.max_tokens as number;
  }
  if (typeof body.max_completion_tokens === "number") {
    options.num_predict = body.max_completion_tokens;
  }
  if (typeof body.seed === "number") options.seed = body.seed;
  if (stop) options.stop = stop;
  return options;
}

/** Flattens OpenAI message content (a string or parts) into a native message. */
function toNative(raw: Record<string, unknown>): Record<string, unknown> {
  const content = raw.content;
  let text = "";
  const images: string[] = [];
  if (typeof content === "string") text = content;
  else if (Array.isArray(content)) {
    for (const part of content as Record<string, unknown>[]) {
      if (part.type === "text") text += String(part.text ?? "");
      else if (part.type === "image_url") {
        const url = String((part.image_url as { url?: string } | undefined)?.url ?? "");
        const match = /^data:(image\/(png|jpeg|jpg|webp))?;base64,(.*)$/.exec(url);
        if (!match) throw new SimError(400, "invalid image input");
        images.push(match[3]!);
      }
    }
  }
  const calls = raw.tool_calls as { id?: string; function: { name: string; arguments: string } }[];
  return {
    role: raw.role,
    content: text,
    ...(images.length ? { images } : {}),
    ...(calls
      ? {
        tool_calls: calls.map((c) => ({
          id: c.id,
          function: { name: c.function.name, arguments: JSON.parse(c.function.arguments || "{}") },
        })),
      }
      : {}),
  };
}

/** The OpenAI-compatible routes of a simulator. */
export function openAIRoutes(sim: Simulator): Hono {
  const app = new Hono();

  async function run(
    request: Request,
    plan: GenerationPlan,
    stream: boolean,
    chunks: {
      event(event: GenerationEvent, first: boolean): unknown[];
      done(events: readonly GenerationEvent[], done: Done): unknown[];
      whole(events: readonly GenerationEvent[], done: Done): unknown;
    },
  ): Promise<Response> {
    const abort = new AbortController();
    request.signal.addEventListener("abort", () => abort.abort(), { once: true });
    const events = sim.engine.generate(plan, abort.signal);
    if (!stream) {
      const all: GenerationEvent[] = [];
      for await (const event of events) all.push(event);
      return json(chunks.whole(all, all.at(-1) as Done));
    }
    const seen: GenerationEvent[] = [];
    async function* frames(): AsyncGenerator<string> {
      for await (const event of events) {
        seen.push(event);
        if (event.type === "done") {
          for (const chunk of chunks.done(seen, event)) yield sse(chunk);
        } else {
          for (const chunk of chunks.event(event, seen.length === 1)) yield sse(chunk);
        }
      }
    }
    const iterator = frames();
    const first = await iterator.next();
    if (first.done) throw new SimError(500, "generation ended before it began");
    return streamResponse(first.value, iterator, {
      encode: (frame) => frame,
      // Ollama's /v1 streams just end on a mid-stream error: no finish chunk, no [DONE].
      error: () => undefined,
      end: "data: [DONE]\n\n",
    }, { contentType: SSE_TYPE, abort, cutAfter: sim.faults.takeCut() });
  }

  app.post("/v1/chat/completions", async (c) => {
    const body = await readBody(c.req.raw, "ChatCompletionRequest", {
      model: "string",
      stream: "bool",
      messages: "[]map",
    });
    const rawMessages = (body.messages as Record<string, unknown>[] | undefined) ?? [];
    if (rawMessages.length === 0) throw new SimError(400, "[] is too short - 'messages'");
    const name = (body.model as string | undefined) ?? "";
    if (name === "") throw new SimError(400, "model is required");
    const model = requireModel(sim, name);
    const messages: Message[] = readMessages(rawMessages.map(toNative));
    const effort = body.reasoning_effort ??
      (body.reasoning as { effort?: string } | undefined)?.effort;
    const responseFormat = body.response_format as
      | { type?: string; json_schema?: { schema?: unknown } }
      | undefined;
    const plan = chatPlan(model, name, messages, (body.tools as Tool[] | undefined) ?? [], {
      options: samplingOptions(body),
      format: responseFormat?.type === "json_object"
        ? "json"
        : readFormat(responseFormat?.json_schema?.schema),
      think: effort === undefined ? undefined : effort !== "none",
    });
    const id = `chatcmpl-${Math.floor(Math.random() * 999)}`;
    const created = Math.floor(sim.clock.now() / 1000);
    const head = {
      id,
      object: "chat.completion.chunk",
      created,
      model: name,
      system_fingerprint: "fp_ollama",
    };
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)
      ?.include_usage === true;
    return await run(c.req.raw, plan, body.stream === true, {
      event(event, first) {
        const role = first ? { role: "assistant" } : {};
        const delta = event.type === "content"
          ? { ...role, content: event.text }
          : event.type === "thinking"
          ? { ...role, content: "", reasoning: event.text }
          : event.type === "tool_calls"
          ? { ...role, tool_calls: openAICalls(event.calls) }
          : {};
        return [{ ...head, choices: [{ index: 0, delta, finish_reason: null }] }];
      },
      done(events, done) {
        const chunks: unknown[] = [];
        if (events.length === 1) {
          chunks.push({
            ...head,
            choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
          });
        }
        chunks.push({
          ...head,
          choices: [{ index: 0, delta: {}, finish_reason: finishReason(events, done) }],
        });
        if (includeUsage) chunks.push({ ...head, choices: [], usage: usage(done) });
        return chunks;
      },
      whole(events, done) {
        const text = (type: "content" | "thinking") =>
          events.map((e) => e.type === type ? e.text : "").join("");
        const calls = events.flatMap((e) => e.type === "tool_calls" ? e.calls : []);
        const reasoning = text("thinking");
        return {
          id,
          object: "chat.completion",
          created,
          model: name,
          system_fingerprint: "fp_ollama",
          choices: [{
            index: 0,
            message: {
              role: "assistant",
              content: text("content"),
              ...(reasoning ? { reasoning } : {}),
              ...(calls.length ? { tool_calls: openAICalls(calls) } : {}),
            },
            finish_reason: finishReason(events, done),
          }],
          usage: usage(done),
        };
      },
    });
  });

  app.post("/v1/completions", async (c) => {
    const body = await readBody(c.req.raw, "CompletionRequest", {
      model: "string",
      stream: "bool",
    });
    if (typeof body.prompt !== "string") {
      throw new SimError(400, "invalid type for 'prompt' field: only string is supported");
    }
    const name = (body.model as string | undefined) ?? "";
    const model = requireModel(sim, name);
    if (body.suffix) requireCapability(model, name, "insert");
    const text = `${body.prompt}\n${body.suffix ?? ""}`;
    const plan: GenerationPlan = {
      model,
      prompt: text,
      promptTokens: countTokens(text) + 8,
      options: samplingOptions(body),
      think: false,
    };
    const id = `cmpl-${Math.floor(Math.random() * 999)}`;
    const created = Math.floor(sim.clock.now() / 1000);
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)
      ?.include_usage === true;
    const zero = includeUsage
      ? { usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } }
      : {};
    const chunk = (text: string, finish: string | null) => ({
      id,
      object: "text_completion",
      created,
      choices: [{ text, index: 0, finish_reason: finish }],
      model: name,
      system_fingerprint: "fp_ollama",
      ...zero,
    });
    return await run(c.req.raw, plan, body.stream === true, {
      event: (event) => event.type === "content" ? [chunk(event.text, null)] : [],
      done(events, done) {
        const out: unknown[] = [chunk("", finishReason(events, done))];
        if (includeUsage) {
          out.push({
            id,
            object: "text_completion",
            created,
            choices: [],
            model: name,
            system_fingerprint: "fp_ollama",
            usage: usage(done),
          });
        }
        return out;
      },
      whole: (events, done) => ({
        id,
        object: "text_completion",
        created,
        model: name,
        system_fingerprint: "fp_ollama",
        choices: [{
          text: events.map((e) => e.type === "content" ? e.text : "").join(""),
          index: 0,
          finish_reason: finishReason(events, done),
        }],
        usage: usage(done),
      }),
    });
  });

  app.post("/v1/embeddings", async (c) => {
    const body = await readBody(c.req.raw, "EmbedRequest", { model: "string", dimensions: "int" });
    const input = body.input;
    const inputs = typeof input === "string" ? [input] : input;
    if (
      !Array.isArray(inputs) || inputs.length === 0 || inputs.some((x) => typeof x !== "string")
    ) {
      throw new SimError(400, "invalid input");
    }
    const name = (body.model as string | undefined) ?? "";
    const model = requireModel(sim, name);
    const result = await sim.engine.embed(model, inputs as string[], {
      options: {},
      dimensions: body.dimensions as number | undefined,
    }, c.req.raw.signal);
    const base64 = body.encoding_format === "base64";
    return json({
      object: "list",
      data: result.embeddings.map((vector, index) => ({
        object: "embedding",
        embedding: base64 ? toBase64Float32(vector) : vector,
        index,
      })),
      model: name,
      usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    });
  });

  function modelEntry(name: string, modifiedAt: number) {
    const owner = name.includes("/") ? name.split("/").at(-2)! : "library";
    return { id: name, object: "model", created: Math.floor(modifiedAt / 1000), owned_by: owner };
  }

  app.get("/v1/models", () => {
    const models = sim.store.list();
    return json({
      object: "list",
      data: models.length === 0 ? null : models.map((m) => modelEntry(m.name, m.modifiedAt)),
    });
  });

  app.get("/v1/models/:model{.+}", (c) => {
    const id = decodeURIComponent(c.req.param("model"));
    const model = sim.store.get(id);
    if (!model) throw modelNotFound(id);
    return json(modelEntry(id, model.modifiedAt));
  });

  return app;
}

/** Little-endian float32 bytes in base64, as OpenAI's `encoding_format: "base64"`. */
function toBase64Float32(vector: readonly number[]): string {
  const bytes = new Uint8Array(new Float32Array(vector).buffer);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

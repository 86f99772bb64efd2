/**
 * The native inference routes: `/api/generate`, `/api/chat`, `/api/embed`, `/api/embeddings`,
 * with Ollama's validation, load/unload special cases and NDJSON framing (OLLAMA_API.md §2-§3).
 *
 * @module
 */

import { Hono } from "hono";
import { parseKeepAlive } from "../../shared/duration.ts";
import type { Message, RequestOptions, Tool } from "../../shared/ollama.ts";
import type { GenerationEvent, GenerationPlan } from "./engine.ts";
import { SimError } from "./errors.ts";
import { json, nativeError, NDJSON_TYPE, readBody, streamResponse, toSimError } from "./http.ts";
import type { Simulator } from "./simulator.ts";
import type { StoredModel } from "./store.ts";
import { countTokens } from "./text.ts";
import {
  createdAt,
  metricFields,
  readFormat,
  readOptions,
  requireCapability,
  requireModel,
  thinkingFor,
} from "./wire.ts";

/** Tokens a vision model spends on one image. */
const IMAGE_TOKENS = 256;

/** Builds the rendered prompt of a chat, as a chat template would lay it out. */
export function renderChat(messages: readonly Message[], tools: readonly Tool[]): {
  prompt: string;
  tokens: number;
} {
  let prompt = tools.length > 0 ? `<|tools|>${JSON.stringify(tools)}\n` : "";
  let tokens = tools.length > 0 ? countTokens(prompt) : 0;
  for (const m of messages) {
    const calls = m.tool_calls ? JSON.stringify(m.tool_calls) : "";
    prompt += `<|${m.role}|>\n${m.content}${calls}\n`;
    tokens += 4 + countTokens(m.content) + countTokens(calls) +
      (m.images?.length ?? 0) * IMAGE_TOKENS;
  }
  return { prompt: prompt + "<|assistant|>\n", tokens: tokens + 3 };
}

/** Picks the tool a deterministic "model" calls: the one whose name best matches the request. */
export function chooseTool(tools: readonly Tool[], text: string): Tool | undefined {
  const words = new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? []);
  let best: Tool | undefined;
  let bestScore = -1;
  for (const tool of tools) {
    const parts = `${tool.function.name} ${tool.function.description ?? ""}`.toLowerCase()
      .match(/[a-z0-9]+/g) ?? [];
    const score = parts.filter((p) => words.has(p)).length;
    if (score > bestScore) [best, bestScore] = [tool, score];
  }
  return best;
}

/** Reads and checks a chat's messages: roles are lower-cased, content must be a string. */
export function readMessages(raw: unknown): Message[] {
  if (raw === undefined || raw === null) return [];
  return (raw as Record<string, unknown>[]).map((m) => {
    for (const [field, type] of [["role", "string"], ["content", "string"]] as const) {
      const value = m[field];
      if (value !== undefined && value !== null && typeof value !== type) {
        const kind = Array.isArray(value)
          ? "array"
          : typeof value === "object"
          ? "object"
          : typeof value;
        throw new SimError(
          400,
          `json: cannot unmarshal ${kind} into Go struct field ChatRequest.messages.${field} of type string`,
        );
      }
    }
    return {
      ...m,
      role: String(m.role ?? "").toLowerCase(),
      content: String(m.content ?? ""),
    } as Message;
  });
}

/**
 * Plans a chat for native and OpenAI routes alike: checks tools and vision, renders the prompt, and
 * lets the "model" call a tool when the last message is the user's and tools are offered.
 */
export function chatPlan(
  model: StoredModel,
  name: string,
  messages: readonly Message[],
  tools: readonly Tool[],
  settings: Pick<GenerationPlan, "options" | "keepAliveMs" | "format"> & { think: unknown },
): GenerationPlan {
  if (tools.length > 0) requireCapability(model, name, "tools");
  if (messages.some((m) => m.images?.length)) requireCapability(model, name, "vision");
  const rendered = renderChat(messages, tools);
  const last = messages.at(-1)!;
  return {
    model,
    prompt: rendered.prompt,
    promptTokens: rendered.tokens,
    options: settings.options,
    keepAliveMs: settings.keepAliveMs,
    format: settings.format,
    think: thinkingFor(model, name, settings.think),
    tool: last.role === "user" && tools.length > 0 ? chooseTool(tools, last.content) : undefined,
  };
}

/**
 * An empty prompt or message list: unload at once with keep_alive 0, else load and answer when
 * ready. Either way one JSON object, even when streaming was asked for.
 */
async function loadOrUnload(
  sim: Simulator,
  request: Request,
  load: { model: StoredModel; options: RequestOptions; keepAliveMs: number | undefined },
  shape: { model: string } & Record<string, unknown>,
): Promise<Response> {
  const { model, ...rest } = shape;
  const reply = (reason: "load" | "unload") =>
    json({ model, created_at: createdAt(sim), ...rest, done: true, done_reason: reason });
  if (load.keepAliveMs === 0) {
    sim.scheduler.unload(load.model);
    return reply("unload");
  }
  await sim.engine.preload(load.model, load.options, load.keepAliveMs, request.signal);
  return reply("load");
}

/** Awaits the first event, then streams the rest as NDJSON; or collects them for stream:false. */
async function respond(
  sim: Simulator,
  request: Request,
  events: (signal: AbortSignal) => AsyncGenerator<GenerationEvent>,
  stream: boolean,
  line: (event: GenerationEvent) => Record<string, unknown>,
  collapse: (events: GenerationEvent[]) => Record<string, unknown>,
): Promise<Response> {
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  request.signal.addEventListener("abort", onAbort, { once: true });
  const iterator = events(abort.signal);
  if (!stream) {
    try {
      const all: GenerationEvent[] = [];
      for await (const event of iterator) all.push(event);
      return json(collapse(all));
    } finally {
      request.signal.removeEventListener("abort", onAbort);
    }
  }
  const first = await iterator.next();
  if (first.done) throw new SimError(500, "generation ended before it began");
  return streamResponse(first.value, iterator, {
    encode: (event) => JSON.stringify(line(event)) + "\n",
    error: (error) => JSON.stringify({ error: error.message }) + "\n",
  }, { contentType: NDJSON_TYPE, abort, cutAfter: sim.faults.takeCut() });
}

function joined(events: GenerationEvent[], type: "content" | "thinking"): string {
  return events.map((e) => e.type === type ? e.text : "").join("");
}

function final(events: GenerationEvent[]): Extract<GenerationEvent, { type: "done" }> {
  const done = events.at(-1);
  if (done?.type !== "done") throw new SimError(500, "generation ended without a final line");
  return done;
}

/** The native inference routes of a simulator. */
export function inferenceRoutes(sim: Simulator): Hono {
  const app = new Hono();

  app.post("/api/generate", async (c) => {
    const body = await readBody(c.req.raw, "GenerateRequest", {
      model: "string",
      prompt: "string",
      suffix: "string",
      system: "string",
      template: "string",
      stream: "bool",
      raw: "bool",
      images: "[]string",
      context: "[]int",
      options: "map",
    });
    const name = typeof body.model === "string" ? body.model : "";
    const model = requireModel(sim, name);
    const keepAliveMs = parseKeepAlive(body.keep_alive);
    const options = readOptions(body.options);
    if (!model.spec.capabilities.includes("completion")) {
      throw new SimError(400, `"${name}" does not support generate`);
    }
    const prompt = (body.prompt as string | undefined) ?? "";
    const images = (body.images as string[] | undefined) ?? [];
    if (prompt === "" && images.length === 0) {
      return await loadOrUnload(sim, c.req.raw, { model, options, keepAliveMs }, {
        model: name,
        response: "",
      });
    }
    if (body.raw === true && (body.template || body.system || body.context)) {
      throw new SimError(400, "raw mode does not support template, system, or context");
    }
    if (body.suffix) requireCapability(model, name, "insert");
    if (images.length > 0) requireCapability(model, name, "vision");
    const think = thinkingFor(model, name, body.think);
    const format = readFormat(body.format);
    const context = (body.context as number[] | undefined) ?? [];
    const text = `${body.system ?? ""}\n${prompt}\n${body.suffix ?? ""}`;
    const plan: GenerationPlan = {
      model,
      prompt: text,
      promptTokens: countTokens(text) + (body.raw ? 0 : 8) + context.length +
        images.length * IMAGE_TOKENS,
      options,
      keepAliveMs,
      format,
      think,
    };
    const line = (event: GenerationEvent): Record<string, unknown> => {
      const head = { model: name, created_at: createdAt(sim) };
      switch (event.type) {
        case "content":
          return { ...head, response: event.text, done: false };
        case "thinking":
          return { ...head, response: "", thinking: event.text, done: false };
        case "tool_calls":
          return { ...head, response: "", tool_calls: event.calls, done: false };
        case "done":
          return {
            ...head,
            response: "",
            done: true,
            done_reason: event.reason,
            ...(body.raw ? {} : { context: event.context }),
            ...metricFields(event.metrics),
          };
      }
    };
    return await respond(
      sim,
      c.req.raw,
      (signal) => sim.engine.generate(plan, signal),
      body.stream !== false,
      line,
      (events) => {
        const done = final(events);
        const thinking = joined(events, "thinking");
        return {
          ...line(done),
          response: joined(events, "content"),
          ...(thinking ? { thinking } : {}),
        };
      },
    );
  });

  app.post("/api/chat", async (c) => {
    const body = await readBody(c.req.raw, "ChatRequest", {
      model: "string",
      stream: "bool",
      messages: "[]map",
      tools: "[]map",
      options: "map",
    });
    const name = typeof body.model === "string" ? body.model : "";
    if (name === "") throw new SimError(400, "model is required");
    const model = requireModel(sim, name);
    const keepAliveMs = parseKeepAlive(body.keep_alive);
    const options = readOptions(body.options);
    const messages = readMessages(body.messages);
    if (!model.spec.capabilities.includes("completion")) {
      throw new SimError(400, `"${name}" does not support chat`);
    }
    if (messages.length === 0) {
      return await loadOrUnload(sim, c.req.raw, { model, options, keepAliveMs }, {
        model: name,
        message: { role: "assistant", content: "" },
      });
    }
    const plan = chatPlan(model, name, messages, (body.tools as Tool[] | undefined) ?? [], {
      options,
      keepAliveMs,
      format: readFormat(body.format),
      think: body.think,
    });
    const line = (event: GenerationEvent): Record<string, unknown> => {
      const head = { model: name, created_at: createdAt(sim) };
      switch (event.type) {
        case "content":
          return { ...head, message: { role: "assistant", content: event.text }, done: false };
        case "thinking":
          return {
            ...head,
            message: { role: "assistant", content: "", thinking: event.text },
            done: false,
          };
        case "tool_calls":
          return {
            ...head,
            message: { role: "assistant", content: "", tool_calls: event.calls },
            done: false,
          };
        case "done":
          return {
            ...head,
            message: { role: "assistant", content: "" },
            done: true,
            done_reason: event.reason,
            ...metricFields(event.metrics),
          };
      }
    };
    return await respond(
      sim,
      c.req.raw,
      (signal) => sim.engine.generate(plan, signal),
      body.stream !== false,
      line,
      (events) => {
        const thinking = joined(events, "thinking");
        const calls = events.flatMap((e) => e.type === "tool_calls" ? e.calls : []);
        return {
          ...line(final(events)),
          message: {
            role: "assistant",
            content: joined(events, "content"),
            ...(thinking ? { thinking } : {}),
            ...(calls.length ? { tool_calls: calls } : {}),
          },
        };
      },
    );
  });

  app.post("/api/embed", async (c) => {
    const body = await readBody(c.req.raw, "EmbedRequest", {
      model: "string",
      truncate: "bool",
      dimensions: "int",
      options: "map",
    });
    const name = typeof body.model === "string" ? body.model : "";
    const model = requireModel(sim, name);
    const keepAliveMs = parseKeepAlive(body.keep_alive);
    const options = readOptions(body.options);
    const input = body.input ?? [];
    const inputs = typeof input === "string" ? (input === "" ? [] : [input]) : input;
    if (!Array.isArray(inputs) || inputs.some((x) => typeof x !== "string")) {
      throw new SimError(400, "invalid input type");
    }
    if (inputs.length === 0) {
      await sim.engine.preload(model, options, keepAliveMs, c.req.raw.signal);
      return json({ model: name, embeddings: [] });
    }
    const numCtx = options.num_ctx ?? model.spec.contextLength;
    if (body.truncate === false && inputs.some((text) => countTokens(text) > numCtx)) {
      throw new SimError(400, "the input length exceeds the context length");
    }
    const result = await sim.engine.embed(model, inputs, {
      options,
      keepAliveMs,
      dimensions: body.dimensions as number | undefined,
    }, c.req.raw.signal);
    return json({
      model: name,
      embeddings: result.embeddings,
      total_duration: Math.round(result.totalMs * 1e6),
      load_duration: Math.round(result.loadMs * 1e6),
      prompt_eval_count: result.promptTokens,
    });
  });

  app.post("/api/embeddings", async (c) => {
    const body = await readBody(c.req.raw, "EmbeddingRequest", {
      model: "string",
      prompt: "string",
      options: "map",
    });
    const name = typeof body.model === "string" ? body.model : "";
    const model = name === "" ? undefined : sim.store.get(name);
    if (!model) throw new SimError(404, `model "${name}" not found, try pulling it first`);
    const keepAliveMs = parseKeepAlive(body.keep_alive);
    const options = readOptions(body.options);
    const prompt = (body.prompt as string | undefined) ?? "";
    if (prompt === "") {
      await sim.engine.preload(model, options, keepAliveMs, c.req.raw.signal);
      return json({ embedding: [] });
    }
    const result = await sim.engine.embed(
      model,
      [prompt],
      { options, keepAliveMs },
      c.req.raw.signal,
    );
    return json({ embedding: result.embeddings[0] });
  });

  app.onError((error) => nativeError(toSimError(error)));
  return app;
}

/**
 * Inference on a simulated host: takes a slot from the scheduler, spends the prefill time, then
 * yields one token at a time at the model's decode rate, and reports metrics that match the time
 * really spent. Knows nothing of HTTP: the routes turn its events into Ollama or OpenAI framing.
 *
 * @module
 */

import type {
  FinalMetrics,
  JsonSchema,
  RequestOptions,
  Tool,
  ToolCall,
} from "../../shared/ollama.ts";
import type { ModelSpec } from "./catalogue.ts";
import type { Clock } from "./clock.ts";
import { defaultNumCtx, parallelSlowdown } from "./memory.ts";
import type { Profile } from "./profile.ts";
import type { Lease, RunnerSettings, Scheduler } from "./scheduler.ts";
import type { StoredModel } from "./store.ts";
import {
  countTokens,
  embedding,
  hash32,
  jsonReply,
  replyTokens,
  splitIntoTokens,
  toolArguments,
  truncateEmbedding,
} from "./text.ts";

/** What to generate. */
export interface GenerationPlan {
  model: StoredModel;
  /** The rendered prompt: the reply is a pure function of it, the model and the seed. */
  prompt: string;
  promptTokens: number;
  options: RequestOptions;
  keepAliveMs?: number;
  format?: "json" | JsonSchema;
  think: boolean;
  /** A tool to call instead of answering in text. */
  tool?: Tool;
}

/** One step of a generation. */
export type GenerationEvent =
  | { type: "content"; text: string }
  | { type: "thinking"; text: string }
  | { type: "tool_calls"; calls: ToolCall[] }
  | {
    type: "done";
    reason: "stop" | "length";
    metrics: FinalMetrics;
    /** Token ids of prompt and reply, for `/api/generate`'s `context`. */
    context: number[];
  };

/**
 * The settings that pin a loaded runner; a request with other values forces a reload. A `num_ctx`
 * past what the model was trained for is cut to it, as Ollama does ("requested context size too
 * large for model", `llm/server.go`).
 */
export function runnerSettings(
  profile: Profile,
  spec: ModelSpec,
  options: RequestOptions,
): RunnerSettings {
  const { num_batch, num_gpu, main_gpu, use_mmap, num_thread } = options;
  return {
    numCtx: options.num_ctx === undefined
      ? defaultNumCtx(profile, spec)
      : Math.min(options.num_ctx, spec.contextLength),
    extra: JSON.stringify({ num_batch, num_gpu, main_gpu, use_mmap, num_thread }),
  };
}

/** Options for {@link Engine}. */
export interface EngineOptions {
  profile: Profile;
  scheduler: Scheduler;
  clock: Clock;
  toReal(simMs: number): number;
}

/** Runs generations and embeddings against the scheduler. */
export class Engine {
  #o: EngineOptions;

  constructor(options: EngineOptions) {
    this.#o = options;
  }

  /** Takes a slot on `model`, loading it first if needed. */
  acquire(
    model: StoredModel,
    options: RequestOptions,
    keepAliveMs: number | undefined,
    signal: AbortSignal,
  ): Promise<Lease> {
    return this.#o.scheduler.acquire({
      model,
      settings: runnerSettings(this.#o.profile, model.spec, options),
      keepAliveMs,
      signal,
    });
  }

  /** Loads a model (an empty prompt) and returns once it is ready. */
  async preload(
    model: StoredModel,
    options: RequestOptions,
    keepAliveMs: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    (await this.acquire(model, options, keepAliveMs, signal)).release();
  }

  /**
   * Generates a reply. Nothing is yielded before the model is loaded and the prompt processed,
   * so a caller that awaits the first event knows when to send headers.
   */
  async *generate(plan: GenerationPlan, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    const { clock, toReal } = this.#o;
    const start = clock.monotonic();
    const lease = await this.acquire(plan.model, plan.options, plan.keepAliveMs, signal);
    const runner = lease.runner;
    try {
      const loaded = clock.monotonic();
      // One timeline of deadlines: a wait too short for a timer is not lost but carried into the
      // next one, so the prefill and every token take their planned time on average.
      const prefilled = loaded + toReal(plan.promptTokens / runner.speeds.prefill * 1000);
      await clock.sleep(prefilled - clock.monotonic(), signal);
      const output = planOutput(plan, this.#o.profile);
      runner.decoding++;
      let evalCount = 0;
      try {
        let due = Math.max(prefilled, clock.monotonic());
        for (const step of output.steps) {
          const perToken = 1000 / (runner.speeds.decode * parallelSlowdown(runner.decoding));
          due += toReal(perToken * step.tokens);
          await clock.sleep(due - clock.monotonic(), signal);
          evalCount += step.tokens;
          yield step.event;
        }
      } finally {
        runner.decoding--;
      }
      const end = Math.max(clock.monotonic(), prefilled);
      const ns = (ms: number) => Math.round(ms * 1e6);
      yield {
        type: "done",
        reason: output.reason,
        metrics: {
          total_duration: ns(end - start),
          load_duration: ns(loaded - start),
          prompt_eval_count: plan.promptTokens,
          prompt_eval_duration: ns(prefilled - loaded),
          eval_count: evalCount,
          eval_duration: ns(end - prefilled),
        },
        context: tokenIds(plan.prompt, plan.promptTokens, output.text),
      };
    } finally {
      lease.release();
    }
  }

  /** Embeds each input; vectors are deterministic and L2-normalised. */
  async embed(
    model: StoredModel,
    inputs: readonly string[],
    options: { options: RequestOptions; keepAliveMs?: number; dimensions?: number },
    signal: AbortSignal,
  ): Promise<{ embeddings: number[][]; promptTokens: number; loadMs: number; totalMs: number }> {
    const { clock, toReal } = this.#o;
    const start = clock.monotonic();
    const lease = await this.acquire(model, options.options, options.keepAliveMs, signal);
    try {
      const loaded = clock.monotonic();
      const promptTokens = inputs.reduce((sum, text) => sum + countTokens(text) + 2, 0);
      await clock.sleep(toReal(promptTokens / lease.runner.speeds.prefill * 1000), signal);
      const size = model.spec.embeddingLength;
      const embeddings = inputs.map((text) => {
        const vector = embedding(model.digest, text, size);
        return options.dimensions && options.dimensions < size
          ? truncateEmbedding(vector, options.dimensions)
          : vector;
      });
      return {
        embeddings,
        promptTokens,
        loadMs: loaded - start,
        totalMs: clock.monotonic() - start,
      };
    } finally {
      lease.release();
    }
  }
}

interface Step {
  event: GenerationEvent;
  tokens: number;
}

/** Decides the whole output up front: thinking, then text, JSON or a tool call, then the cut. */
function planOutput(
  plan: GenerationPlan,
  profile: Profile,
): { steps: Step[]; reason: "stop" | "length"; text: string } {
  const seed = plan.options.seed ?? 0;
  const name = plan.model.digest;
  const limit = plan.options.num_predict !== undefined && plan.options.num_predict >= 0
    ? plan.options.num_predict
    : Infinity;
  const steps: Step[] = [];
  let budget = limit;
  if (plan.think) {
    const thinking = replyTokens(name, "think\u0000" + plan.prompt, seed, {
      length: [8, Math.max(8, Math.round(profile.replyTokens[1] / 3))],
      max: budget + 1,
    });
    for (const text of thinking) {
      if (budget <= 0) return { steps, reason: "length", text: "" };
      steps.push({ event: { type: "thinking", text }, tokens: 1 });
      budget--;
    }
  }
  if (plan.tool) {
    const call: ToolCall = {
      id: "call_" + hash32(plan.prompt, seed).toString(36).padStart(8, "0").slice(-8),
      function: {
        index: 0,
        name: plan.tool.function.name,
        arguments: toolArguments(plan.tool.function.parameters, hash32(plan.prompt, seed)),
      },
    };
    const tokens = countTokens(JSON.stringify(call.function));
    if (tokens > budget) return { steps, reason: "length", text: "" };
    steps.push({ event: { type: "tool_calls", calls: [call] }, tokens });
    return { steps, reason: "stop", text: "" };
  }
  const pieces = plan.format !== undefined
    ? splitIntoTokens(jsonReply(plan.format, hash32(name, plan.prompt, seed)))
    // One token more than the budget tells a natural end from a cut.
    : replyTokens(name, plan.prompt, seed, { length: profile.replyTokens, max: budget + 1 });
  const { kept } = applyStop(pieces, plan.options.stop ?? []);
  let reason: "stop" | "length" = "stop";
  let text = "";
  for (const piece of kept) {
    if (budget <= 0) {
      reason = "length";
      break;
    }
    steps.push({ event: { type: "content", text: piece }, tokens: 1 });
    text += piece;
    budget--;
  }
  return { steps, reason, text };
}

/** Cuts the pieces before the first stop sequence; the stop text itself is never emitted. */
export function applyStop(
  pieces: readonly string[],
  stops: readonly string[],
): { kept: string[]; stopped: boolean } {
  const text = pieces.join("");
  const at = Math.min(
    ...stops.filter((s) => s !== "").map((s) => text.indexOf(s)).filter((i) => i >= 0),
  );
  if (!Number.isFinite(at)) return { kept: [...pieces], stopped: false };
  const kept: string[] = [];
  let offset = 0;
  for (const piece of pieces) {
    if (offset + piece.length <= at) kept.push(piece);
    else {
      if (at > offset) kept.push(piece.slice(0, at - offset));
      break;
    }
    offset += piece.length;
  }
  return { kept, stopped: true };
}

function tokenIds(prompt: string, promptTokens: number, reply: string): number[] {
  const ids: number[] = [];
  for (let i = 0; i < promptTokens; i++) ids.push(hash32(prompt, i) % 151_936);
  for (const piece of splitIntoTokens(reply)) ids.push(hash32(piece) % 151_936);
  return ids;
}

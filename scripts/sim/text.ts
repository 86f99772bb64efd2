/**
 * Deterministic "model output": replies, thinking, JSON, tool arguments and embeddings that are pure
 * functions of the model, the prompt and the seed, so that tests can assert content. Nothing here
 * knows about time or HTTP.
 *
 * @module
 */

import type { JsonSchema } from "../../shared/ollama.ts";

/** 32-bit FNV-1a over the UTF-16 code units of the parts, joined by NUL. */
export function hash32(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join("\u0000");
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A small, fast seeded PRNG (mulberry32): the same seed always gives the same sequence. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "the a of to and in that is for it as with on by this be are from at or an which can not more " +
  "model data fleet host server request token memory cache load time value system network answer " +
  "question result simple example quickly carefully always often first second next last small large " +
  "fast slow local remote stream line reply text number field state change order rule path point " +
  "light river mountain garden window morning evening music story idea plan step reason method " +
  "clear useful careful gentle bright quiet steady warm cool open early late near far good better " +
  "works runs keeps holds moves makes takes gives finds shows tells sends reads writes builds checks " +
  "café naïve façade déjà résumé über señor 東京 データ"
).split(" ");

const CLOSERS = [".", ".", ".", "!", "?", ";"];
const EMOJI = ["🙂", "🚀", "✨"];

/** Counts tokens roughly as a BPE tokenizer would: words, numbers and punctuation marks. */
export function countTokens(text: string): number {
  return text.match(/[\p{L}\p{M}]+|\p{N}+|[^\s\p{L}\p{M}\p{N}]/gu)?.length ?? 0;
}

/** Options for {@link replyTokens}. */
export interface ReplyOptions {
  /** Natural length range before any `num_predict` cut, in tokens. */
  length: readonly [number, number];
  /**
   * Stop after this many tokens: the result is then a prefix of the full reply.
   * @default Infinity
   */
  max?: number;
}

/**
 * The tokens of a reply: a pure function of model, prompt and seed. Words carry their leading
 * space; sentences end with punctuation; a few tokens are multi-byte UTF-8 (accents, CJK, emoji)
 * so that proxies that split UTF-8 are caught.
 */
export function replyTokens(
  model: string,
  prompt: string,
  seed: number,
  options: ReplyOptions,
): string[] {
  const random = rng(hash32(model, prompt, seed));
  const [min, max] = options.length;
  const total = min + Math.floor(random() * (max - min + 1));
  const stop = Math.min(total, options.max ?? Infinity);
  const tokens: string[] = [];
  let sentenceStart = true;
  let sinceClose = 0;
  while (tokens.length < stop) {
    const left = total - tokens.length;
    if (!sentenceStart && (left === 1 || (sinceClose > 5 && random() < 0.14))) {
      tokens.push(CLOSERS[Math.floor(random() * CLOSERS.length)]!);
      sentenceStart = true;
      sinceClose = 0;
      continue;
    }
    if (!sentenceStart && random() < 0.02) {
      tokens.push(" " + EMOJI[Math.floor(random() * EMOJI.length)]!);
      continue;
    }
    let word = WORDS[Math.floor(random() * WORDS.length)]!;
    if (sentenceStart) word = word[0]!.toUpperCase() + word.slice(1);
    tokens.push(
      tokens.length === 0 ? word : (sentenceStart && random() < 0.15 ? "\n\n" : " ") + word,
    );
    sentenceStart = false;
    sinceClose++;
  }
  return tokens;
}

/** Splits text into streaming pieces of about one token each (for JSON and tool output). */
export function splitIntoTokens(text: string): string[] {
  return text.match(/\s*[\p{L}\p{M}\p{N}_]+|\s*[^\s\p{L}\p{M}\p{N}_]|\s+$/gu) ?? [];
}

/**
 * A JSON document for `format`: `"json"` gives an object with an answer; a schema gives a value
 * of that shape. Deterministic in the seed.
 */
export function jsonReply(format: "json" | JsonSchema, seed: number): string {
  const random = rng(seed);
  const schema: JsonSchema = format === "json"
    ? { type: "object", properties: { answer: { type: "string" } } }
    : format;
  return JSON.stringify(valueFor(schema, random, "answer"));
}

/** Arguments for a tool call: a value for each declared parameter. */
export function toolArguments(
  schema: JsonSchema | undefined,
  seed: number,
): Record<string, unknown> {
  const value = valueFor(schema ?? { type: "object", properties: {} }, rng(seed), "value");
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

function valueFor(schema: JsonSchema, random: () => number, name: string): unknown {
  if (schema.enum && schema.enum.length > 0) {
    return schema.enum[Math.floor(random() * schema.enum.length)];
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(schema.properties ?? {})) {
        out[key] = valueFor(sub, random, key);
      }
      return out;
    }
    case "array":
      return Array.from(
        { length: 1 + Math.floor(random() * 3) },
        () => valueFor(schema.items ?? { type: "string" }, random, name),
      );
    case "integer":
      return Math.floor(random() * 100);
    case "number":
      return Math.round(random() * 10000) / 100;
    case "boolean":
      return random() < 0.5;
    case "null":
      return null;
    default: {
      const words = Array.from(
        { length: 1 + Math.floor(random() * 4) },
        () => WORDS[Math.floor(random() * 90)]!,
      );
      return name === "location" || name === "city" ? "Paris" : words.join(" ");
    }
  }
}

/**
 * A deterministic, L2-normalised embedding of `text` with `dimensions` components.
 *
 * @param model Different models give different vectors for the same text.
 */
export function embedding(model: string, text: string, dimensions: number): number[] {
  const random = rng(hash32("embed", model, text));
  const vector = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    // Sum of uniforms: roughly normal, like real embedding components.
    const x = random() + random() + random() - 1.5;
    vector[i] = x;
    norm += x * x;
  }
  return normalize(vector, Math.sqrt(norm));
}

/** Truncates a vector to `dimensions` and re-normalises it, as Ollama does for `dimensions`. */
export function truncateEmbedding(vector: readonly number[], dimensions: number): number[] {
  const cut = vector.slice(0, dimensions);
  return normalize(cut, Math.sqrt(cut.reduce((sum, x) => sum + x * x, 0)));
}

function normalize(vector: number[], norm: number): number[] {
  // Round through float32: Ollama's vectors are float32 and serialise as such.
  return vector.map((x) => Math.fround(norm === 0 ? 0 : x / norm));
}

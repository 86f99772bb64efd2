/**
 * Ollama model names: `[host/][namespace/]model[:tag]`, as Ollama's `types/model/name.go` parses them.
 *
 * The hub and the simulator both need the same answer to "are these two names the same model" and
 * "how does Ollama display this name", so the rules live here, once.
 *
 * @module
 */

/** The registry host Ollama assumes when a name has none. */
export const DEFAULT_HOST = "registry.ollama.ai";
/** The namespace Ollama assumes when a name has none. */
export const DEFAULT_NAMESPACE = "library";
/** The tag Ollama assumes when a name has none. */
export const DEFAULT_TAG = "latest";

/** A model name split into its parts, with defaults filled in. */
export interface ModelName {
  host: string;
  namespace: string;
  model: string;
  tag: string;
}

const HOST_PART = /^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,349}$/;
const NAMESPACE_PART = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,79}$/;
const MODEL_PART = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,79}$/;
const TAG_PART = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,79}$/;

/**
 * Parses a model name, filling in Ollama's defaults.
 *
 * @param name A name such as `qwen3:8b`, `library/qwen3` or `example.com/me/model:v1`.
 * @returns The parts, or `undefined` when Ollama would answer `invalid model name`.
 * @example
 * ```ts
 * parseModelName("qwen3"); // { host: "registry.ollama.ai", namespace: "library", model: "qwen3", tag: "latest" }
 * ```
 */
export function parseModelName(name: string): ModelName | undefined {
  let rest = name.trim();
  if (rest === "") return undefined;
  const at = rest.indexOf("@");
  if (at >= 0) rest = rest.slice(0, at); // a digest suffix does not change which model is meant
  let tag = DEFAULT_TAG;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split("/");
  if (parts.length > 3) return undefined;
  const model = parts.pop() ?? "";
  const namespace = parts.pop() ?? DEFAULT_NAMESPACE;
  const host = parts.pop() ?? DEFAULT_HOST;
  if (
    !HOST_PART.test(host) || !NAMESPACE_PART.test(namespace) || !MODEL_PART.test(model) ||
    !TAG_PART.test(tag)
  ) {
    return undefined;
  }
  return { host, namespace, model, tag };
}

/**
 * Formats a name in the shortest form Ollama displays, always with its tag.
 *
 * @param name The parsed name.
 * @returns e.g. `qwen3:latest`, `me/model:v1`, `example.com/me/model:v1`.
 * @example
 * ```ts
 * displayName(parseModelName("library/Qwen3")!); // "Qwen3:latest"
 * ```
 */
export function displayName(name: ModelName): string {
  if (name.host.toLowerCase() !== DEFAULT_HOST) {
    return `${name.host}/${name.namespace}/${name.model}:${name.tag}`;
  }
  if (name.namespace.toLowerCase() !== DEFAULT_NAMESPACE) {
    return `${name.namespace}/${name.model}:${name.tag}`;
  }
  return `${name.model}:${name.tag}`;
}

/**
 * The key under which a model is stored: names that differ only in case or in omitted defaults
 * share one key, as Ollama's lookups are case-insensitive.
 *
 * @param name A raw model name.
 * @returns The key, or `undefined` for an invalid name.
 * @example
 * ```ts
 * modelKey("QWEN3") === modelKey("registry.ollama.ai/library/qwen3:latest"); // true
 * ```
 */
export function modelKey(name: string): string | undefined {
  const parsed = parseModelName(name);
  if (!parsed) return undefined;
  const { host, namespace, model, tag } = parsed;
  return `${host}/${namespace}/${model}:${tag}`.toLowerCase();
}

/**
 * Normalises a raw name to its display form, or returns `undefined` when it is invalid.
 *
 * @param name A raw model name.
 * @returns The display name.
 * @example
 * ```ts
 * normalizeModelName("llama3.2"); // "llama3.2:latest"
 * ```
 */
export function normalizeModelName(name: string): string | undefined {
  const parsed = parseModelName(name);
  return parsed && displayName(parsed);
}

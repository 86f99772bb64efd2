/**
 * The simulator's state in Ollama's wire shapes: `details`, `/api/tags` and `/api/ps` entries,
 * option checking, and request-level helpers shared by the native and OpenAI routes.
 *
 * @module
 */

import { formatGoTime } from "../../shared/go_time.ts";
import { DEFAULT_HOST, DEFAULT_NAMESPACE, parseModelName } from "../../shared/model_name.ts";
import type {
  Capability,
  FinalMetrics,
  ListModel,
  ModelDetails,
  ProcessModel,
  RequestOptions,
} from "../../shared/ollama.ts";
import { modelNotFound, SimError } from "./errors.ts";
import type { Runner } from "./scheduler.ts";
import type { Simulator } from "./simulator.ts";
import type { StoredModel } from "./store.ts";

/** `created_at`: UTC with nine fractional digits, as Go writes `time.Now().UTC()`. */
export function createdAt(sim: Simulator): string {
  return formatGoTime(sim.clock.now(), { utc: true });
}

/** A model's `details` object. */
export function details(model: StoredModel, forPs = false): ModelDetails {
  const { spec } = model;
  return {
    parent_model: forPs ? "" : spec.parentModel ?? "",
    format: spec.format ?? "gguf",
    family: spec.family,
    families: spec.families ?? null,
    parameter_size: spec.parameterSize,
    quantization_level: spec.quantization,
  };
}

/** An `/api/tags` entry. */
export function listEntry(model: StoredModel): ListModel {
  return {
    name: model.name,
    model: model.name,
    modified_at: formatGoTime(model.modifiedAt),
    size: model.layers.reduce((sum, layer) => sum + layer.size, 0),
    digest: model.digest,
    details: details(model),
    capabilities: model.spec.capabilities,
  };
}

/** An `/api/ps` entry. */
export function psEntry(runner: Runner): ProcessModel {
  return {
    name: runner.model.name,
    model: runner.model.name,
    size: runner.memory.total,
    digest: runner.model.digest,
    details: details(runner.model, true),
    expires_at: formatGoTime(runner.expiresAt),
    size_vram: runner.placement.vram,
    context_length: runner.settings.numCtx,
  };
}

/** The name Ollama uses in capability errors: host/namespace/model:tag. */
export function fullName(name: string): string {
  const parsed = parseModelName(name);
  if (!parsed) return name;
  return `${parsed.host || DEFAULT_HOST}/${
    parsed.namespace || DEFAULT_NAMESPACE
  }/${parsed.model}:${parsed.tag}`;
}

/** Finds a model on disk or throws `model 'NAME' not found`. */
export function requireModel(sim: Simulator, name: unknown): StoredModel {
  const text = typeof name === "string" ? name : "";
  const model = text === "" ? undefined : sim.store.get(text);
  if (!model) throw modelNotFound(text);
  return model;
}

/** Throws Ollama's 400 unless the model has `capability`. */
export function requireCapability(model: StoredModel, name: string, capability: Capability): void {
  if (!model.spec.capabilities.includes(capability)) {
    throw new SimError(400, `${fullName(name)} does not support ${capability}`);
  }
}

const OPTION_TYPES: Readonly<Record<string, "integer" | "float32" | "bool" | "[]string">> = {
  num_ctx: "integer",
  num_batch: "integer",
  num_gpu: "integer",
  main_gpu: "integer",
  num_thread: "integer",
  num_keep: "integer",
  seed: "integer",
  num_predict: "integer",
  top_k: "integer",
  repeat_last_n: "integer",
  use_mmap: "bool",
  top_p: "float32",
  min_p: "float32",
  typical_p: "float32",
  temperature: "float32",
  repeat_penalty: "float32",
  presence_penalty: "float32",
  frequency_penalty: "float32",
  stop: "[]string",
};

/**
 * Checks an `options` map as Ollama's `FromMap` does: known keys must have the right type (500
 * `option "x" must be of type ...`); unknown keys are ignored.
 */
export function readOptions(raw: unknown): RequestOptions {
  if (raw === undefined || raw === null) return {};
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const type = OPTION_TYPES[key];
    if (!type || value === null) continue;
    const ok = type === "integer"
      ? typeof value === "number" && Number.isFinite(value)
      : type === "float32"
      ? typeof value === "number"
      : type === "bool"
      ? typeof value === "boolean"
      : Array.isArray(value) && value.every((v) => typeof v === "string");
    if (!ok) {
      const typeName = type === "[]string"
        ? "array of strings"
        : type === "bool"
        ? "boolean"
        : type;
      throw new SimError(500, `option "${key}" must be of type ${typeName}`);
    }
    options[key] = type === "integer" ? Math.trunc(value as number) : value;
  }
  if (options.num_ctx !== undefined && (options.num_ctx as number) < 1) delete options.num_ctx;
  return options as RequestOptions;
}

/** The final-line metrics without zero fields (Ollama marks them `omitempty`). */
export function metricFields(metrics: FinalMetrics): Partial<FinalMetrics> {
  return Object.fromEntries(Object.entries(metrics).filter(([, v]) => v !== 0));
}

/** Whether a request turns thinking on: explicit `think`, else on for thinking models. */
export function thinkingFor(model: StoredModel, name: string, think: unknown): boolean {
  const capable = model.spec.capabilities.includes("thinking");
  const wanted = think === undefined || think === null ? capable : think !== false;
  if (wanted && !capable && think !== undefined) {
    throw new SimError(400, `"${name}" does not support thinking`);
  }
  return wanted && capable;
}

/** Reads `format`: `"json"`, a JSON schema object, or nothing. */
export function readFormat(raw: unknown): "json" | Record<string, unknown> | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (raw === "json") return "json";
  if (typeof raw === "object" && !Array.isArray(raw)) return raw as Record<string, unknown>;
  throw new SimError(400, `invalid format: expected "json" or a JSON schema`);
}

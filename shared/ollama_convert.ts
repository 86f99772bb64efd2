/**
 * Conversions between Ollama's wire types (snake_case, `shared/ollama.ts`) and Corral's protocol
 * (camelCase, `shared/protocol.ts`), in exactly one place for the agent and the hub; and the short
 * reason for a failed fetch that both put in their reports. Pure.
 *
 * @module
 */

import type { ListModel, ProcessModel } from "./ollama.ts";
import type { DiskModel, LoadedModel } from "./protocol.ts";

/** Converts one `/api/tags` entry to the protocol's shape. */
export function toDiskModel(m: ListModel): DiskModel {
  return {
    name: m.name,
    digest: m.digest,
    size: m.size,
    modifiedAt: m.modified_at,
    family: m.details?.family ?? "",
    parameterSize: m.details?.parameter_size ?? "",
    quantization: m.details?.quantization_level ?? "",
  };
}

/** Converts one `/api/ps` entry to the protocol's shape. */
export function toLoadedModel(m: ProcessModel): LoadedModel {
  return {
    name: m.name,
    digest: m.digest,
    size: m.size,
    sizeVram: m.size_vram,
    contextLength: m.context_length ?? null,
    expiresAt: m.expires_at ?? null,
  };
}

/** A short reason for a failed fetch: "connection refused", "timed out", ... */
export function describe(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "timed out";
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? error.cause : error;
    if (/refused/i.test(cause.message) || cause.name === "ConnectionRefused") {
      return "connection refused";
    }
    return cause.message.split("\n")[0] ?? cause.name;
  }
  return String(error);
}

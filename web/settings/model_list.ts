/**
 * An API key's model allow-list as typed in the dashboard: names and `NAME:*` patterns separated
 * by commas, spaces or new lines; nothing (or `*`) allows every model. Pure; the hub checks the
 * names again.
 *
 * @module
 */

/** A model name or pattern the hub may accept: `qwen3:8b`, `qwen3:*`, `library/llama3`. */
const PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\/-]*(?::(?:[A-Za-z0-9][A-Za-z0-9._-]*|\*))?$/;

/**
 * Reads an allow-list.
 *
 * @param text What the user typed.
 * @returns The patterns, without repeats, in the order typed; `null` for every model; or a
 * sentence naming the first pattern that cannot be right.
 */
export function parseModelList(text: string): { models: string[] | null } | { error: string } {
  const parts = text.split(/[\s,]+/).map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0 || parts.includes("*")) return { models: null };
  for (const part of parts) {
    if (part.length > 200 || !PATTERN.test(part)) {
      return {
        error: `"${part.slice(0, 60)}" is not a model name or pattern: write qwen3:8b, or ` +
          "qwen3:* for every tag of a model",
      };
    }
  }
  return { models: [...new Set(parts)] };
}

/** An allow-list for reading: `qwen3:*, llama3.2:3b`, or `every model`. */
export function formatModelList(models: readonly string[] | null): string {
  return models === null ? "every model" : models.join(", ");
}

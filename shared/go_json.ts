/**
 * The words Go's `encoding/json` decoder uses when a request body is not JSON, so that the hub and
 * the simulator reject bad bodies with Ollama's own messages (OLLAMA_API.md §0). Pure.
 *
 * @module
 */

/**
 * Go's message for a body that `JSON.parse` rejected: `unexpected EOF` when the text ends early,
 * else `invalid character 'x' looking for beginning of value`.
 */
export function goDecodeError(text: string, error: SyntaxError): string {
  const position = /position (\d+)/.exec(error.message);
  if (!position || Number(position[1]) >= text.trimEnd().length) return "unexpected EOF";
  const char = text[Number(position[1])]!;
  return `invalid character '${char}' looking for beginning of value`;
}

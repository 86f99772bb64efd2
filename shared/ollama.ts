/**
 * Ollama's wire types, named exactly as Ollama names them (snake_case), after `api/types.go` and
 * ../shared/OLLAMA_API.md. Only types: no I/O.
 *
 * @module
 */

/** A model's `details` object in `/api/tags`, `/api/ps` and `/api/show`. */
export interface ModelDetails {
  parent_model: string;
  format: string;
  family: string;
  families: string[] | null;
  parameter_size: string;
  quantization_level: string;
}

/** Capabilities Ollama reports for a model. */
export type Capability =
  | "completion"
  | "tools"
  | "insert"
  | "vision"
  | "embedding"
  | "thinking";

/** One entry of `GET /api/tags`. */
export interface ListModel {
  name: string;
  model: string;
  modified_at: string;
  size: number;
  digest: string;
  details: ModelDetails;
  capabilities?: Capability[];
}

/** One entry of `GET /api/ps`. */
export interface ProcessModel {
  name: string;
  model: string;
  size: number;
  digest: string;
  details: ModelDetails;
  expires_at: string;
  size_vram: number;
  context_length: number;
}

/**
 * The fields of a `POST /api/show` answer that Corral reads (OLLAMA_API.md §2.7). `model_info` holds
 * the GGUF's key/value pairs (`general.architecture`, `<arch>.block_count`, ...); without `verbose`,
 * Ollama empties every array of more than 5 elements in it.
 */
export interface ShowResponse {
  details?: ModelDetails;
  model_info?: Record<string, unknown>;
  capabilities?: Capability[];
  modified_at?: string;
}

/** The `options` map of generate, chat and embed requests. */
export interface RequestOptions {
  num_ctx?: number;
  num_batch?: number;
  num_gpu?: number;
  main_gpu?: number;
  use_mmap?: boolean;
  num_thread?: number;
  num_keep?: number;
  seed?: number;
  num_predict?: number;
  top_k?: number;
  top_p?: number;
  min_p?: number;
  typical_p?: number;
  repeat_last_n?: number;
  temperature?: number;
  repeat_penalty?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  stop?: string[];
}

/** A tool call as Ollama sends it (arguments are a JSON object, not a string). */
export interface ToolCall {
  id?: string;
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

/** A tool offered to the model. */
export interface Tool {
  type: "function";
  function: {
    name: string;
    description?: string;
    parameters?: JsonSchema;
  };
}

/** The subset of JSON Schema used by `format` and tool parameters. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  description?: string;
}

/** A chat message. */
export interface Message {
  role: string;
  content: string;
  thinking?: string;
  images?: string[];
  tool_calls?: ToolCall[];
  tool_name?: string;
  tool_call_id?: string;
}

/** Why a generation ended. */
export type DoneReason = "stop" | "length" | "load" | "unload";

/** The timing and count fields of a final generate or chat line. */
export interface FinalMetrics {
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

/** A `/api/pull`, `/api/push` or `/api/create` progress line. */
export interface ProgressLine {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

/** The native error body: `{"error": "..."}`. */
export interface ErrorBody {
  error: string;
}

/** The OpenAI-compatible error body Ollama's `/v1` routes answer with. */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: "invalid_request_error" | "not_found_error" | "api_error";
    param: null;
    code: null;
  };
}

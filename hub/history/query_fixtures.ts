/**
 * Fixtures for the history query tests (`*_queries_test.ts`): a fixed clock, four hosts (two of
 * them sharing a name, as a reinstalled machine does), three hours of logged requests, and an
 * assertion for the {@link FleetError}s the queries throw.
 *
 * @module
 */

import assert from "node:assert/strict";
import { FleetError } from "../../shared/errors.ts";
import type { Db } from "./db.ts";
import { uuidv7 } from "./ids.ts";
import { INSERT, type RequestLogRow, type ServerRow } from "./tables.ts";

/** The tests' "now": 2025-03-10 12:00 UTC, epoch ms. */
export const NOW = Date.parse("2025-03-10T12:00:00Z");
/** A minute in ms. */
export const MIN = 60_000;
/** An hour in ms. */
export const H = 3_600_000;
/** Epoch ms as an ISO time, as the tables take it. */
export const iso = (ms: number) => new Date(ms).toISOString();
/** Epoch ms as epoch seconds, as the series give it. */
export const sec = (ms: number) => ms / 1000;

function server(id: string, name: string, lastSeen: number, gpus = 0): ServerRow {
  return {
    id,
    name,
    kind: "agent",
    url: `http://${name}:11435`,
    status: "online",
    hostname: name,
    os: "linux",
    kernel: null,
    arch: "x86_64",
    cpu_model: null,
    boot_id: null,
    agent_version: "0.1.0",
    ollama_version: "0.9.0",
    gpus: Array.from({ length: gpus }, (_, index) => ({
      index,
      uuid: `GPU-${id}-${index}`,
      name: "NVIDIA RTX 4090",
      vendor: "nvidia",
      memoryTotal: 24e9,
    })),
    first_seen: iso(NOW - 30 * 24 * H),
    last_seen: iso(lastSeen),
  };
}

/** gpu-1 (two GPUs), gpu-2, and gpu-3 twice: agent-old, last seen 10 days ago, and agent-new. */
export const SERVERS = [
  server("agent-a", "gpu-1", NOW, 2),
  server("agent-b", "gpu-2", NOW),
  server("agent-old", "gpu-3", NOW - 10 * 24 * H),
  server("agent-new", "gpu-3", NOW - MIN),
];

/** A request logged at `ms`: a streamed qwen3:8b chat from alice on agent-a, unless `fields` differ. */
export function request(ms: number, fields: Partial<RequestLogRow>): RequestLogRow {
  return {
    id: uuidv7(ms),
    time: iso(ms),
    hub: "hub-1",
    api_key: "alice",
    user_id: null,
    client: "curl/8",
    method: "POST",
    endpoint: "/api/chat",
    model: "qwen3:8b",
    server_id: "agent-a",
    route: "loaded",
    attempts: 1,
    queued_ms: null,
    status: 200,
    error: null,
    stream: true,
    prompt_tokens: 10,
    completion_tokens: 100,
    ttfb_ms: null,
    duration_ms: null,
    load_ms: null,
    bytes_in: 200,
    bytes_out: 4000,
    ...fields,
  };
}

/** Where {@link REQUESTS} start: three hours before {@link NOW}, a multiple of 5 minutes. */
export const B0 = NOW - 3 * H;
/**
 * Three hours of requests in 5-minute buckets, with nothing from -2h to -1h: 7 for qwen3:8b, 2 for
 * llama3:8b and 1 with no model; 3 of them errors.
 */
export const REQUESTS: RequestLogRow[] = [
  ...[100, 200, 300, 400].map((d, i) =>
    request(B0 + i * 1000, { duration_ms: d, ttfb_ms: d / 10, prompt_tokens: 10 + i })
  ),
  request(B0 + 5000, {
    model: "llama3:8b",
    server_id: "agent-b",
    api_key: "bob",
    status: 500,
    error: "upstream failed",
    duration_ms: 1000,
  }),
  request(B0 + 5 * MIN, { duration_ms: 50, status: 429 }),
  request(B0 + 6 * MIN, { duration_ms: 70, error: "client disconnected" }),
  request(NOW - 30 * MIN, { server_id: "agent-b", api_key: null, duration_ms: 500 }),
  request(NOW - 29 * MIN, {
    model: "llama3:8b",
    duration_ms: 900,
    endpoint: "/v1/chat/completions",
  }),
  request(NOW - 28 * MIN, { model: null, server_id: null, endpoint: "/api/tags", method: "GET" }),
];

/** Writes {@link SERVERS} and {@link REQUESTS}. */
export async function seed(db: Db): Promise<void> {
  await db.query(INSERT.servers, [SERVERS]);
  await db.query(INSERT.request_logs, [REQUESTS]);
}

/** Asserts that `promise` rejects with a FleetError of that status and a matching message. */
export async function rejectsWith(promise: Promise<unknown>, status: number, pattern: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof FleetError, `not a FleetError: ${error}`);
    assert.equal(error.status, status);
    assert.match(error.message, pattern);
    return true;
  });
}

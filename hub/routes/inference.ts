/**
 * The inference endpoints, routed by model: Ollama's generate, chat, embed and legacy embeddings,
 * OpenAI's chat completions, completions, embeddings and responses, Anthropic's messages. The body
 * is read once (a retry sends it again), only `model` is looked at, and the rest is the host's
 * business.
 *
 * @module
 */

import { Hono } from "hono";
import { type Dialect, dialectOf, errorResponse } from "../../shared/dialect.ts";
import { dispatch } from "../dispatch.ts";
import { applyPolicy, POLICY_PATHS, policyFor, withNumCtx } from "../fleet_policy.ts";
import {
  completedOf,
  type HubDeps,
  type HubEnv,
  readModelRequest,
  targetOf,
  traceOf,
  upstreamPath,
} from "./context.ts";

/** The paths routed by model. */
export const INFERENCE_PATHS = [
  "/api/generate",
  "/api/chat",
  "/api/embed",
  "/api/embeddings",
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/embeddings",
  "/v1/responses",
  "/v1/messages",
] as const;

/** Ollama's words for a model no host has, per endpoint (OLLAMA_API.md §4). */
export function modelNotFound(path: string, dialect: Dialect, name: string): Response {
  const message = path === "/api/embeddings"
    ? `model "${name}" not found, try pulling it first`
    : `model '${name}' not found`;
  return errorResponse(dialect, 404, message);
}

/** The inference routes. */
export function inferenceRoutes(deps: HubDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  for (const path of INFERENCE_PATHS) {
    const dialect = dialectOf(path);
    app.post(path, async (c) => {
      const read = await readModelRequest(c, dialect, "model");
      if (read instanceof Response) return read;
      const { body, model } = read;
      let bytes = body.bytes;
      let numCtx: number | null = null;
      let withContext: ((numCtx: number) => Uint8Array<ArrayBuffer>) | undefined;
      if (POLICY_PATHS.has(path)) {
        const applied = applyPolicy(body.json, policyFor(deps.policy, model.key));
        numCtx = applied.numCtx;
        if (applied.changed) bytes = new TextEncoder().encode(JSON.stringify(body.json));
        if (deps.policy.shareLarger && numCtx !== null) {
          withContext = (ctx) => withNumCtx(body.json, ctx);
        }
      }
      return dispatch(deps, {
        model,
        purpose: "inference",
        pinned: targetOf(c),
        dialect,
        path: upstreamPath(c),
        method: "POST",
        headers: c.req.raw.headers,
        body: bytes,
        numCtx,
        withContext,
        signal: c.req.raw.signal,
        completed: completedOf(c),
        trace: traceOf(c),
        notFound: (name) => modelNotFound(path, dialect, name),
      });
    });
  }
  return app;
}

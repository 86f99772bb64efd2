/**
 * The model-management endpoints for a fleet: lists merged across hosts (`/api/tags`, `/api/ps`,
 * `/v1/models`), `/api/show` from a host that has the model, `/api/pull` and `/api/push` to the
 * host the router picks (or a named one, or all), `/api/delete` and `/api/copy` on every host that
 * has the model (or a named one), `/api/create` where its base model or blobs are, and blobs to
 * the chosen host.
 *
 * @module
 */

import { Hono } from "hono";
import { errorResponse, JSON_CONTENT_TYPE } from "../../shared/dialect.ts";
import { modelKey } from "../../shared/model_name.ts";
import type { ListModel, ProcessModel } from "../../shared/ollama.ts";
import { keyAllows } from "../auth.ts";
import { dispatch } from "../dispatch.ts";
import type { HostRecord } from "../host.ts";
import { mergePs, mergeTags, toOpenAIModel, toOpenAIModels } from "../merge.ts";
import {
  completedOf,
  fanOut,
  type HubContext,
  type HubDeps,
  type HubEnv,
  readJson,
  readModelRequest,
  requestModel,
  targetOf,
  traceOf,
  upstreamPath,
  usableHosts,
} from "./context.ts";
import { modelNotFound } from "./inference.ts";
import { pullEverywhere } from "./pull_all.ts";

const LIST_TIMEOUT_MS = 3000;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": JSON_CONTENT_TYPE },
  });
}

/** Fetches a list from every usable host; hosts that fail or time out are left out. */
async function collect<T>(
  deps: HubDeps,
  path: string,
): Promise<{ host: HostRecord; models: T[] }[]> {
  const answers = await fanOut(deps, usableHosts(deps), {
    path,
    method: "GET",
    timeoutMs: LIST_TIMEOUT_MS,
  });
  const lists = await Promise.all(answers.map(async (answer) => {
    if (!("response" in answer)) return null;
    if (!answer.response.ok) {
      await answer.response.body?.cancel();
      return null;
    }
    const body = await answer.response.json().catch(() => null) as { models?: T[] } | null;
    return body ? { host: answer.host, models: body.models ?? [] } : null;
  }));
  return lists.filter((l) => l !== null);
}

function allowed<T extends { name: string }>(c: HubContext, models: T[]): T[] {
  const key = c.get("apiKey");
  if (!key?.models) return models;
  return models.filter((m) => {
    const k = modelKey(m.name);
    return k !== undefined && keyAllows(key, k);
  });
}

async function fleetTags(c: HubContext, deps: HubDeps): Promise<ListModel[]> {
  const lists = await collect<ListModel>(deps, "/api/tags");
  return allowed(c, mergeTags(lists.map((l) => ({ host: l.host, models: l.models }))).models);
}

/** Hosts (usable, or the one named) that have `key` on disk, per their latest snapshots. */
function holders(deps: HubDeps, key: string, target: string | null): HostRecord[] | Response {
  if (target && target !== "all") {
    const host = deps.registry.find(target);
    if (!host) return errorResponse("ollama", 404, `no host named "${target}"`);
    return [host];
  }
  return usableHosts(deps).filter((h) => h.route.onDisk.has(key));
}

/** Sends a change (delete, copy) to each host and answers with the first success or failure. */
async function applyEverywhere(
  deps: HubDeps,
  hosts: HostRecord[],
  init: { path: string; method: string; body: Uint8Array<ArrayBuffer> },
): Promise<Response> {
  const answers = await fanOut(deps, hosts, init);
  const failures: string[] = [];
  let success: Response | null = null;
  let firstError: Response | null = null;
  for (const answer of answers) {
    if (!("response" in answer)) {
      failures.push(`${answer.host.name}: ${answer.error}`);
      continue;
    }
    if (answer.response.ok) {
      await answer.response.body?.cancel();
      success ??= answer.response;
    } else {
      const text = await answer.response.text();
      failures.push(`${answer.host.name}: ${text}`);
      firstError ??= new Response(text, {
        status: answer.response.status,
        headers: { "content-type": JSON_CONTENT_TYPE },
      });
    }
  }
  const names = hosts.map((h) => h.name).join(", ");
  if (success && failures.length === 0) {
    return new Response(null, { status: 200, headers: { "x-corral-host": names } });
  }
  if (success) {
    return errorResponse("ollama", 500, `done on some hosts but not all: ${failures.join("; ")}`);
  }
  return firstError ?? errorResponse("ollama", 502, `every host failed: ${failures.join("; ")}`);
}

/** The model routes. */
export function modelRoutes(deps: HubDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  /** Digest → host id of blobs uploaded through the hub, so that create finds them. */
  const blobHosts = new Map<string, string>();

  const tags = async (c: HubContext) => json({ models: await fleetTags(c, deps) });
  app.get("/api/tags", tags);

  app.get("/api/ps", async (c) => {
    const lists = await collect<ProcessModel>(deps, "/api/ps");
    return json({ models: allowed(c, mergePs(lists).models) });
  });

  app.get("/v1/models", async (c) => json(toOpenAIModels({ models: await fleetTags(c, deps) })));

  app.get("/v1/models/:id{.+}", async (c) => {
    const id = c.req.param("id");
    const key = modelKey(id);
    const entry = (await fleetTags(c, deps)).find((m) => modelKey(m.name) === key);
    if (!entry) return errorResponse("openai", 404, `model "${id}" not found`);
    return json(toOpenAIModel(id, entry));
  });

  /** Show, pull and push go to one host, chosen like a pull: one that has it, else the roomiest. */
  const toOneHost = (path: string) => async (c: HubContext) => {
    const read = await readModelRequest(c, "ollama");
    if (read instanceof Response) return read;
    const { body, model } = read;
    const target = targetOf(c);
    if (path === "/api/pull" && target === "all") {
      return pullEverywhere(deps, usableHosts(deps), body, c.req.raw.signal);
    }
    return dispatch(deps, {
      model,
      purpose: "pull",
      pinned: target,
      dialect: "ollama",
      path: upstreamPath(c),
      method: "POST",
      headers: c.req.raw.headers,
      body: body.bytes,
      signal: c.req.raw.signal,
      completed: completedOf(c),
      trace: traceOf(c),
      notFound: (name) => modelNotFound(path, "ollama", name),
      retry: path === "/api/show",
    });
  };
  app.post("/api/show", toOneHost("/api/show"));
  app.post("/api/pull", toOneHost("/api/pull"));
  app.post("/api/push", toOneHost("/api/push"));

  app.delete("/api/delete", async (c) => {
    const read = await readModelRequest(c, "ollama");
    if (read instanceof Response) return read;
    const { body, model } = read;
    const hosts = holders(deps, model.key, targetOf(c));
    if (hosts instanceof Response) return hosts;
    if (hosts.length === 0) return errorResponse("ollama", 404, `model '${model.name}' not found`);
    return applyEverywhere(deps, hosts, {
      path: "/api/delete",
      method: "DELETE",
      body: body.bytes,
    });
  });

  app.post("/api/copy", async (c) => {
    const body = await readJson(c.req.raw, "ollama");
    if (body instanceof Response) return body;
    const { source, destination } = body.json;
    if (typeof source !== "string" || typeof destination !== "string") {
      return errorResponse("ollama", 400, "source and destination are required");
    }
    const key = modelKey(source);
    if (!key || !modelKey(destination)) return errorResponse("ollama", 400, "invalid model name");
    const hosts = holders(deps, key, targetOf(c));
    if (hosts instanceof Response) return hosts;
    if (hosts.length === 0) return errorResponse("ollama", 404, `model "${source}" not found`);
    return applyEverywhere(deps, hosts, { path: "/api/copy", method: "POST", body: body.bytes });
  });

  app.post("/api/create", async (c) => {
    const body = await readJson(c.req.raw, "ollama");
    if (body instanceof Response) return body;
    const model = requestModel(body.json, "ollama");
    if (model instanceof Response) return model;
    const { from, files } = body.json;
    // Where the blobs were uploaded, or where the base model is.
    const digests = typeof files === "object" && files ? Object.values(files) : [];
    const blobHost = digests.map((d) => blobHosts.get(String(d))).find((h) => h !== undefined);
    const base = typeof from === "string" ? modelKey(from) ?? null : null;
    const pinned = targetOf(c) ?? blobHost ??
      (base ? usableHosts(deps).find((h) => h.route.onDisk.has(base))?.id : undefined) ?? null;
    return dispatch(deps, {
      model: null,
      purpose: "any",
      pinned,
      dialect: "ollama",
      path: upstreamPath(c),
      method: "POST",
      headers: c.req.raw.headers,
      body: body.bytes,
      signal: c.req.raw.signal,
      completed: completedOf(c),
      trace: traceOf(c),
      notFound: (name) => modelNotFound("/api/create", "ollama", name),
      retry: false,
    });
  });

  app.on(["GET", "HEAD"], "/api/blobs/:digest", async (c) => {
    const digest = c.req.param("digest");
    const named = targetOf(c);
    const known = blobHosts.get(digest);
    const hosts = named
      ? [deps.registry.find(named)].filter((h) => h !== undefined)
      : known
      ? [deps.registry.get(known)].filter((h) => h !== undefined)
      : usableHosts(deps);
    const answers = await fanOut(deps, hosts, {
      path: `/api/blobs/${digest}`,
      method: "HEAD",
      timeoutMs: LIST_TIMEOUT_MS,
    });
    const holder = answers.find((a) => "response" in a && a.response.ok);
    if (holder) blobHosts.set(digest, holder.host.id);
    return new Response(null, {
      status: holder ? 200 : 404,
      headers: holder ? { "x-corral-host": holder.host.name } : {},
    });
  });

  app.post("/api/blobs/:digest", async (c) => {
    const digest = c.req.param("digest");
    const response = await dispatch(deps, {
      model: null,
      purpose: "any",
      pinned: targetOf(c) ?? blobHosts.get(digest) ?? null,
      dialect: "ollama",
      path: upstreamPath(c),
      method: "POST",
      headers: c.req.raw.headers,
      body: c.req.raw.body,
      signal: c.req.raw.signal,
      completed: completedOf(c),
      trace: traceOf(c),
      notFound: () => errorResponse("ollama", 404, "not found"),
      retry: false,
    });
    const host = response.headers.get("x-corral-host");
    const record = host ? deps.registry.find(host) : undefined;
    if (response.ok && record) blobHosts.set(digest, record.id);
    return response;
  });

  return app;
}

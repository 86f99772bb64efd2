/**
 * `POST /api/pull?host=all`: pulls a model on every usable host at once and streams their progress
 * as one NDJSON stream. Each progress line gains a `host` field; the hosts' own `success` lines are
 * held back and one `{"status":"success"}` ends the stream when every host has succeeded, so that
 * ollama-js (which stops at the first success) waits for all of them. A host that fails turns into
 * an `{"error":...}` line naming it, after the others have finished.
 *
 * @module
 */

import { errorResponse } from "../../shared/dialect.ts";
import type { HostRecord } from "../host.ts";
import { fanOut, type HubDeps, type JsonBody } from "./context.ts";

/** Pulls on every host in `hosts`, streaming the merged progress. */
export function pullEverywhere(
  deps: HubDeps,
  hosts: readonly HostRecord[],
  body: JsonBody,
  signal: AbortSignal,
): Response {
  if (hosts.length === 0) return errorResponse("ollama", 503, "no host is online to pull to");
  const stream = body.json.stream !== false;
  const payload = new TextEncoder().encode(JSON.stringify({ ...body.json, stream: true }));
  const encoder = new TextEncoder();
  const output = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (line: unknown) => {
        if (stream) controller.enqueue(encoder.encode(JSON.stringify(line) + "\n"));
      };
      const failures: string[] = [];
      const answers = await fanOut(deps, hosts, {
        path: "/api/pull",
        method: "POST",
        body: payload,
      });
      await Promise.all(answers.map(async (answer) => {
        const name = answer.host.name;
        if (!("response" in answer)) return void failures.push(`${name}: ${answer.error}`);
        const { response } = answer;
        if (!response.ok) {
          const text = await response.text();
          const error = (JSON.parse(text || "{}") as { error?: string }).error ?? text;
          return void failures.push(`${name}: ${error}`);
        }
        let buffer = "";
        let succeeded = false;
        for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
          if (signal.aborted) break;
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, end).trim();
            buffer = buffer.slice(end + 1);
            if (!line) continue;
            const progress = JSON.parse(line) as { status?: string; error?: string };
            if (progress.error) failures.push(`${name}: ${progress.error}`);
            else if (progress.status === "success") succeeded = true;
            else send({ ...progress, host: name });
          }
        }
        if (!succeeded && !failures.some((f) => f.startsWith(`${name}:`))) {
          failures.push(`${name}: the pull ended without success`);
        }
      }));
      if (failures.length > 0) {
        controller.enqueue(
          encoder.encode(JSON.stringify({ error: `pull failed on ${failures.join("; ")}` }) + "\n"),
        );
      } else {
        controller.enqueue(encoder.encode(JSON.stringify({ status: "success" }) + "\n"));
      }
      controller.close();
    },
  });
  return new Response(output, {
    headers: {
      "content-type": "application/x-ndjson",
      "x-corral-host": hosts.map((h) => h.name).join(", "),
      "x-corral-route": "all",
    },
  });
}

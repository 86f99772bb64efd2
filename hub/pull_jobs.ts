/**
 * Pulls the hub runs for the dashboard: one {@link PullJob} per host, each a streamed
 * `POST /api/pull` pinned to its host through the hub's own data plane (`dataFetch`), its NDJSON
 * progress (OLLAMA_API.md §3.3) read into the job as it comes:
 *
 * - `status` is Ollama's last status line; `completed` / `total` are summed over the layers seen so
 *   far (per `digest`: `completed` is absent while 0, a layer already on disk reports both at once);
 * - `{"status":"success"}` ends the job `done`; an `{"error":…}` line, a refused request or a
 *   stream that ends without success ends it `failed` with Ollama's message; {@link PullJobs.cancel}
 *   aborts the request and ends it `cancelled`.
 *
 * Listeners hear each change: a new state at once, progress at most every 250 ms per job (Ollama
 * reports every 60 ms per layer). Finished jobs are kept 15 minutes, then forgotten.
 *
 * @module
 */

import type { PullJob } from "../shared/dashboard.ts";
import { FleetError } from "../shared/errors.ts";
import { modelKey } from "../shared/model_name.ts";
import { type DataFetch, ollamaError, pinnedRequest } from "./model_actions.ts";

/** How long a finished job stays listed. */
export const FINISHED_KEPT_MS = 15 * 60_000;
/** The least time between two progress publications of one job. */
export const PROGRESS_INTERVAL_MS = 250;

/** Options for {@link PullJobs}. */
export interface PullJobsOptions {
  dataFetch: DataFetch;
  /** @default {FINISHED_KEPT_MS} */
  keepMs?: number;
  /** @default {PROGRESS_INTERVAL_MS} */
  progressMs?: number;
  /** The clock for `startedAt`, `endedAt` and forgetting. @default Date.now */
  now?: () => number;
}

/** A host to pull to. */
export interface PullTarget {
  id: string;
  name: string;
}

interface Run {
  job: PullJob;
  target: string;
  abort: AbortController;
  layers: Map<string, { completed: number; total: number }>;
  /** `performance.now()` of the last publication. */
  publishedAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  done: Promise<void>;
}

/** Splits a byte stream into its non-empty lines. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 1);
      if (line) yield line;
    }
  }
  if (buffer.trim()) yield buffer.trim();
}

/** The hub's pull jobs. */
export class PullJobs {
  #jobs = new Map<string, PullJob>();
  #runs = new Map<string, Run>();
  /** Running jobs by host id and model key, so that one pull is not started twice. */
  #byTarget = new Map<string, Run>();
  #listeners = new Set<(job: PullJob) => void>();
  #fetch: DataFetch;
  #keepMs: number;
  #progressMs: number;
  #now: () => number;
  #stopped = false;

  /** Creates an empty set of jobs. */
  constructor(options: PullJobsOptions) {
    this.#fetch = options.dataFetch;
    this.#keepMs = options.keepMs ?? FINISHED_KEPT_MS;
    this.#progressMs = options.progressMs ?? PROGRESS_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Pulls `model` to each host, one job per host; a host already pulling that model keeps its
   * running job, which is returned instead of a new one.
   *
   * @param by Who asked, shown with the job.
   * @throws {FleetError} `BAD_REQUEST` for an invalid model name; `UNAVAILABLE` once stopped.
   */
  start(model: string, hosts: readonly PullTarget[], by: string | null = null): PullJob[] {
    if (this.#stopped) throw new FleetError("UNAVAILABLE", "The hub is stopping", 503);
    const key = modelKey(model);
    if (!key) {
      throw new FleetError("BAD_REQUEST", `Cannot pull "${model}": invalid model name`, 400);
    }
    this.#forgetOld();
    return hosts.map((host) => {
      const target = `${host.id}\n${key}`;
      const running = this.#byTarget.get(target);
      if (running) return { ...running.job };
      const job: PullJob = {
        id: crypto.randomUUID(),
        model,
        hostId: host.id,
        hostName: host.name,
        state: "running",
        status: "starting",
        completed: null,
        total: null,
        error: null,
        startedAt: this.#now(),
        endedAt: null,
        by,
      };
      const run: Run = {
        job,
        target,
        abort: new AbortController(),
        layers: new Map(),
        publishedAt: performance.now(),
        timer: undefined,
        done: Promise.resolve(),
      };
      this.#jobs.set(job.id, job);
      this.#runs.set(job.id, run);
      this.#byTarget.set(target, run);
      this.#publish(run);
      run.done = this.#run(run);
      return { ...job };
    });
  }

  /** Every job still listed, oldest first (copies). */
  list(): PullJob[] {
    this.#forgetOld();
    return [...this.#jobs.values()].map((job) => ({ ...job }));
  }

  /** A job by id (a copy), if still listed. */
  get(id: string): PullJob | undefined {
    this.#forgetOld();
    const job = this.#jobs.get(id);
    return job && { ...job };
  }

  /**
   * Cancels a running job; a finished one is returned as it is.
   *
   * @throws {FleetError} `NOT_FOUND` for a job that is not listed.
   */
  cancel(id: string): PullJob {
    const job = this.#jobs.get(id);
    if (!job) throw new FleetError("NOT_FOUND", `No pull "${id}"`, 404);
    const run = this.#runs.get(id);
    if (run) {
      this.#finish(run, "cancelled", null);
      run.abort.abort();
    }
    return { ...job };
  }

  /** Calls `listener` with a copy of each job that changed; returns the function that unsubscribes. */
  subscribe(listener: (job: PullJob) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Cancels every running job and resolves once their requests have ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const runs = [...this.#runs.values()];
    for (const run of runs) this.cancel(run.job.id);
    this.#listeners.clear();
    await Promise.all(runs.map((run) => run.done));
  }

  async #run(run: Run): Promise<void> {
    const { job } = run;
    try {
      const response = await this.#fetch(pinnedRequest(job.hostId, {
        path: "/api/pull",
        method: "POST",
        body: { model: job.model, stream: true },
        signal: run.abort.signal,
      }));
      if (!response.ok) return this.#finish(run, "failed", await ollamaError(response));
      if (!response.body) return this.#finish(run, "failed", "The host answered with no progress");
      for await (const line of lines(response.body)) {
        if (job.state !== "running") break;
        let progress: Record<string, unknown>;
        try {
          progress = JSON.parse(line);
        } catch {
          continue; // As ollama-js does: a line that is not JSON is skipped.
        }
        if (typeof progress.error === "string") return this.#finish(run, "failed", progress.error);
        if (progress.status === "success") {
          job.status = "success";
          return this.#finish(run, "done", null);
        }
        this.#progress(run, progress);
      }
      this.#finish(run, "failed", "The pull ended without success");
    } catch (error) {
      this.#finish(run, "failed", (error as Error)?.message ?? String(error));
    }
  }

  #progress(run: Run, progress: Record<string, unknown>): void {
    const { job, layers } = run;
    if (typeof progress.status === "string") job.status = progress.status;
    const { digest, total, completed } = progress;
    if (typeof digest === "string" && typeof total === "number") {
      layers.set(digest, { total, completed: typeof completed === "number" ? completed : 0 });
      let sumDone = 0;
      let sumTotal = 0;
      for (const layer of layers.values()) {
        sumDone += layer.completed;
        sumTotal += layer.total;
      }
      job.completed = sumDone;
      job.total = sumTotal;
    }
    const wait = run.publishedAt + this.#progressMs - performance.now();
    if (wait <= 0) {
      this.#publish(run);
    } else {
      run.timer ??= setTimeout(() => {
        run.timer = undefined;
        this.#publish(run);
      }, wait);
    }
  }

  #finish(run: Run, state: PullJob["state"], error: string | null): void {
    const { job } = run;
    if (job.state !== "running") return;
    job.state = state;
    job.error = error;
    job.endedAt = this.#now();
    clearTimeout(run.timer);
    this.#runs.delete(job.id);
    this.#byTarget.delete(run.target);
    this.#publish(run);
  }

  #publish(run: Run): void {
    clearTimeout(run.timer);
    run.timer = undefined;
    run.publishedAt = performance.now();
    for (const listener of this.#listeners) {
      try {
        listener({ ...run.job });
      } catch (error) {
        console.error("corral-hub: pull listener failed:", error);
      }
    }
  }

  #forgetOld(): void {
    const before = this.#now() - this.#keepMs;
    for (const [id, job] of this.#jobs) {
      if (job.endedAt !== null && job.endedAt < before) this.#jobs.delete(id);
    }
  }
}

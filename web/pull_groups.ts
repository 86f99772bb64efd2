/**
 * Pulls grouped by model for the Models page: a pull "to all" is one job per host, and fifty rows
 * of the same model say less than one row with the fleet's progress and a count of each outcome.
 * Pure, so it is tested with `deno test`.
 *
 * @module
 */

import type { PullJob } from "../shared/dashboard.ts";
import { canonicalModel } from "./matrix.ts";

/** One model's pulls: the jobs by host name, how many are in each state, the bytes over all. */
export interface PullGroup {
  model: string;
  jobs: PullJob[];
  running: number;
  done: number;
  failed: number;
  cancelled: number;
  /** Bytes done and in all over the jobs whose size is known. */
  completed: number;
  total: number;
  /** Over the running and finished jobs (cancelled ones left out); `null` before any size. */
  progress: number | null;
  /** The newest job's start. */
  startedAt: number;
}

/**
 * The pulls worth showing, grouped by model, newest group first: every running job, and those that
 * ended less than `recentMs` before `now`.
 */
export function groupPulls(
  jobs: Iterable<PullJob>,
  now: number,
  recentMs: number,
): PullGroup[] {
  const groups = new Map<string, PullGroup>();
  for (const job of jobs) {
    if (job.state !== "running" && (job.endedAt ?? now) < now - recentMs) continue;
    const model = canonicalModel(job.model);
    let group = groups.get(model);
    if (!group) {
      group = {
        model,
        jobs: [],
        running: 0,
        done: 0,
        failed: 0,
        cancelled: 0,
        completed: 0,
        total: 0,
        progress: null,
        startedAt: job.startedAt,
      };
      groups.set(model, group);
    }
    group.jobs.push(job);
    group[job.state]++;
    group.startedAt = Math.max(group.startedAt, job.startedAt);
    if (job.state !== "cancelled" && job.total) {
      group.total += job.total;
      group.completed += job.state === "done" ? job.total : Math.min(job.completed ?? 0, job.total);
    }
  }
  for (const group of groups.values()) {
    group.jobs.sort((a, b) => a.hostName.localeCompare(b.hostName));
    if (group.total > 0) group.progress = group.completed / group.total;
    else if (group.done > 0 && group.running === 0) group.progress = 1;
  }
  return [...groups.values()].sort((a, b) => b.startedAt - a.startedAt);
}

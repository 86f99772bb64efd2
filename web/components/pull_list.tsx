import { useComputed, useSignal } from "@preact/signals";
import type { PullJob } from "../../shared/dashboard.ts";
import { cancelPull, run } from "../actions.ts";
import { bytes, bytesOf } from "../format.ts";
import { pullProgress } from "../matrix.ts";
import { groupPulls, type PullGroup } from "../pull_groups.ts";
import { isAdmin } from "../session.ts";
import { fleet } from "../store.ts";
import { Meter } from "./meter.tsx";

/** How long a finished or failed pull stays in the list. */
const RECENT_MS = 10 * 60_000;

function jobLevel(state: PullJob["state"]): "" | "ok" | "bad" {
  return state === "failed" ? "bad" : state === "done" ? "ok" : "";
}

function JobRow(props: { job: PullJob }) {
  const { job } = props;
  const progress = pullProgress(job);
  return (
    <li class={`pull-job ${job.state}`} data-pull={job.id}>
      <span class="pull-host">{job.hostName}</span>
      <Meter
        fraction={job.state === "running" ? progress : job.state === "cancelled" ? null : 1}
        level={jobLevel(job.state)}
      />
      <span class="pull-figures num">
        {job.state === "running"
          ? progress === null
            ? job.status
            : `${Math.floor(progress * 100)} % · ${bytesOf(job.completed, job.total)}`
          : job.state === "failed"
          ? <span class="error-text" title={job.error ?? undefined}>{job.error}</span>
          : job.state}
      </span>
      <span>
        {job.state === "running" && isAdmin.value && (
          <button
            type="button"
            class="btn small ghost"
            onClick={() => run(() => cancelPull(job.id))}
          >
            Cancel
          </button>
        )}
      </span>
    </li>
  );
}

function summary(g: PullGroup): string {
  const parts = [];
  if (g.running) parts.push(`${g.running} running`);
  if (g.done) parts.push(`${g.done} done`);
  if (g.failed) parts.push(`${g.failed} failed`);
  if (g.cancelled) parts.push(`${g.cancelled} cancelled`);
  return parts.join(" · ");
}

function GroupRow(props: { group: PullGroup }) {
  const g = props.group;
  const open = useSignal(false);
  const single = g.jobs.length === 1 ? g.jobs[0]! : null;
  const level = g.failed > 0 && g.running === 0 && g.done === 0
    ? "bad"
    : g.running === 0 && g.done > 0
    ? "ok"
    : "";
  const cancelAll = () =>
    run(() =>
      Promise.all(g.jobs.filter((j) => j.state === "running").map((j) => cancelPull(j.id)))
    );
  return (
    <li class="pull-group" data-model={g.model}>
      <div class="pull-row">
        <span class="mono pull-model" title={g.model}>{g.model}</span>
        <span class="muted pull-where">
          → {single ? single.hostName : `${g.jobs.length} hosts`}
        </span>
        <Meter fraction={g.running > 0 ? g.progress : level ? 1 : null} level={level} />
        <span class="pull-figures num">
          {g.progress !== null && g.running > 0 && `${Math.floor(g.progress * 100)} % · `}
          {g.running > 0 && g.total > 0 && `${bytes(g.completed)} / ${bytes(g.total)} · `}
          {single?.state === "failed"
            ? (
              <span class="error-text" title={single.error ?? undefined}>
                failed: {single.error}
              </span>
            )
            : single?.state === "running" && g.progress === null
            ? single.status
            : summary(g)}
        </span>
        <span class="pull-buttons">
          {!single && (
            <button
              type="button"
              class="btn small ghost"
              aria-expanded={open.value}
              onClick={() => open.value = !open.value}
            >
              {open.value ? "Hide hosts" : "Hosts"}
            </button>
          )}
          {g.running > 0 && isAdmin.value && (
            <button type="button" class="btn small ghost" onClick={cancelAll}>
              Cancel
            </button>
          )}
        </span>
      </div>
      {open.value && (
        <ul class="pull-jobs">
          {g.jobs.map((job) => <JobRow key={job.id} job={job} />)}
        </ul>
      )}
    </li>
  );
}

/** Pulls running now and those that ended in the last minutes, one row per model. */
export function PullList() {
  const groups = useComputed(() => groupPulls(fleet.pulls.value.values(), fleet.now(), RECENT_MS));
  if (groups.value.length === 0) return null;
  return (
    <section class="panel pulls">
      <h2>Pulls</h2>
      <ul>
        {groups.value.map((group) => <GroupRow key={group.model} group={group} />)}
      </ul>
    </section>
  );
}

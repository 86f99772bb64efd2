/**
 * Stands in for a task whose component is not built yet, and says which issue brings it.
 *
 * @module
 */

const [task = "this task"] = Deno.args;
const issue: Record<string, string> = {
  hub: "#4 (the hub)",
  agent: "#3 (the agent)",
  fleet: "#4 and later (the admin CLI)",
};
console.error(
  `deno task ${task} is not available yet: it arrives with issue ${
    issue[task] ?? "a later issue"
  }.`,
);
console.error("What works today: deno task demo, deno task sim, deno task bench, deno task test.");
Deno.exit(1);

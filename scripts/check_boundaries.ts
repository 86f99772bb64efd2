/**
 * `deno task check:boundaries`: the import rules that keep the parts apart (STYLE.md rule 3).
 *
 * - `agent/` and `hub/` import `shared/`, never each other.
 * - `shared/` imports only `shared/` and does no I/O (no `Deno.` calls, no `fetch`).
 * - `web/` takes only types from `shared/`, and nothing from `agent/`, `hub/` or `scripts/`.
 *
 * @module
 */

import { walk } from "./walk.ts";

const IMPORT = /^\s*(import|export)\s+(type\s+)?[^;]*?from\s+["']([^"']+)["']/gm;

/** One broken rule: file, import and why. */
export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

/** Checks one file's text against the rules; `file` is relative to the repo root. */
export function checkFile(file: string, text: string): Violation[] {
  const top = file.split("/")[0]!;
  const found: Violation[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const typeOnly = match[2] !== undefined;
    const specifier = match[3]!;
    if (!specifier.startsWith(".")) continue;
    const target = new URL(specifier, `file:///${file}`).pathname.slice(1).split("/")[0]!;
    const bad = (rule: string) => found.push({ file, specifier, rule });
    if (top === "agent" && target === "hub") bad("agent/ must not import hub/");
    if (top === "hub" && target === "agent") bad("hub/ must not import agent/");
    if (top === "shared" && target !== "shared") bad("shared/ imports only shared/");
    if (top === "web" && ["agent", "hub", "scripts"].includes(target)) {
      bad("web/ must not import agent/, hub/ or scripts/");
    }
    if (top === "web" && target === "shared" && !typeOnly) {
      bad("web/ takes only types from shared/");
    }
  }
  if (top === "shared" && !file.endsWith("_test.ts") && /\bDeno\.|\bfetch\(/.test(text)) {
    found.push({ file, specifier: "(I/O)", rule: "shared/ does no I/O" });
  }
  return found;
}

if (import.meta.main) {
  const violations: Violation[] = [];
  for await (const file of walk(["agent", "hub", "shared", "web"])) {
    violations.push(...checkFile(file, await Deno.readTextFile(file)));
  }
  for (const v of violations) console.error(`${v.file}: ${v.specifier}: ${v.rule}`);
  if (violations.length > 0) Deno.exit(1);
  console.log("Import boundaries hold");
}

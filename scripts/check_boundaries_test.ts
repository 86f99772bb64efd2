import assert from "node:assert/strict";
import { checkFile } from "./check_boundaries.ts";

Deno.test("checkFile() lets agent and hub use shared/ but not each other", () => {
  assert.deepEqual(checkFile("hub/app.ts", `import { x } from "../shared/protocol.ts";`), []);
  assert.deepEqual(
    checkFile("hub/app.ts", `import { y } from "../agent/gpu.ts";`).map((v) => v.rule),
    ["hub/ must not import agent/"],
  );
  assert.equal(checkFile("agent/a/b.ts", `export { z } from "../../hub/x.ts";`).length, 1);
});

Deno.test("checkFile() keeps shared/ pure and web/ on types only", () => {
  assert.deepEqual(
    checkFile("shared/x.ts", `import { a } from "../scripts/sim/text.ts";\nDeno.readFile("x");`)
      .map((v) => v.rule),
    ["shared/ imports only shared/", "shared/ does no I/O"],
  );
  assert.deepEqual(checkFile("web/api.ts", `import type { A } from "../shared/protocol.ts";`), []);
  assert.equal(checkFile("web/api.ts", `import { A } from "../shared/protocol.ts";`).length, 1);
});

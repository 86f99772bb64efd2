import assert from "node:assert/strict";
import { parseSimArgs } from "./main.ts";
import { resolveProfile } from "./profile.ts";

Deno.test("parseSimArgs(): flags left out keep the profile file's values", () => {
  const { overrides, port, speed, problems } = parseSimArgs(["--port", "0", "--max-queue", "7"]);
  assert.deepEqual(problems, []);
  assert.equal(port, 0);
  assert.equal(speed, 1);
  const profile = resolveProfile({
    yaml: "num_parallel: 3\nmax_queue: 2\nmodels: [qwen3:4b]\n",
    overrides,
  });
  assert.equal(profile.numParallel, 3);
  assert.equal(profile.maxQueue, 7, "a flag given beats the file");
  assert.deepEqual(profile.models, ["qwen3:4b"]);
});

Deno.test("parseSimArgs() reports bad numbers and unknown flags", () => {
  assert.deepEqual(parseSimArgs(["--port", "x", "--speed", "0"]).problems, [
    `--port must be 0..65535: current value is "x"`,
    `--speed must be a positive number: current value is "0"`,
  ]);
  assert.throws(() => parseSimArgs(["--nope"]), /Unknown option '--nope'/);
});

Deno.test("a bad profile file is refused with every problem named", () => {
  const { overrides } = parseSimArgs([]);
  assert.throws(
    () => resolveProfile({ yaml: "num_parallel: 0\nmodels: [what]\n", overrides }),
    /num_parallel: must be an integer >= 1.*models: "what" is not in the simulator's catalogue|models: "what".*num_parallel/,
  );
});

/**
 * A periodic task that never overlaps itself: the next run starts one interval after the previous
 * one started, or at once if it ran long. Errors are reported and the loop goes on.
 *
 * @module
 */

/** Options for {@link startLoop}. */
export interface LoopOptions {
  intervalMs: number;
  /** Told of each failed run; the loop continues. */
  onError: (error: unknown) => void;
}

/** A running loop. */
export interface Loop {
  /** Runs the task as soon as the current run (if any) ends, then keeps the usual pace. */
  kick(): void;
  /** Stops the loop and waits for a run in progress to end. */
  stop(): Promise<void>;
}

/** Starts running `task` now and then every `intervalMs`. */
export function startLoop(task: () => Promise<void>, options: LoopOptions): Loop {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const run = () => {
    clearTimeout(timer);
    timer = undefined;
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    const started = performance.now();
    running = task().catch(options.onError).finally(() => {
      running = null;
      if (stopped) return;
      const wait = again ? 0 : Math.max(0, options.intervalMs - (performance.now() - started));
      again = false;
      timer = setTimeout(run, wait);
    });
  };
  run();

  return {
    kick: run,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

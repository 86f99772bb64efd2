/**
 * The fleet queue: where a request waits when every host that could serve it is saturated, instead
 * of being committed to one host's own queue. It is bounded (past `max` a request is refused at
 * once) and fair across models: when capacity frees, models take turns (round-robin), and within a
 * model requests go first come, first served.
 *
 * The queue does not route. Each waiting request brings a `retry` function that asks the router
 * again and either grants a host (the request leaves the queue), keeps waiting, or fails. `pump()`
 * is called whenever capacity may have freed: a request ended, a host's state changed.
 *
 * @module
 */

/** What a waiting request's `retry` answers. */
export type RetryOutcome<T> =
  | { type: "granted"; value: T }
  | { type: "wait" }
  | { type: "failed"; error: Error };

/** Why a request left the queue without a host. */
export class QueueError extends Error {
  /** @param reason `full`: refused at once; `timeout`: waited too long; `aborted`: the client left. */
  constructor(readonly reason: "full" | "timeout" | "aborted", message: string) {
    super(message);
    this.name = "QueueError";
  }
}

interface Waiter<T> {
  retry: () => RetryOutcome<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  done: boolean;
}

/** Options for {@link FleetQueue}. */
export interface FleetQueueOptions {
  /** The most requests waiting at once, all models together. */
  max: number;
  /** How long one request may wait. */
  timeoutMs: number;
}

/** A bounded, fair queue of requests waiting for a host. */
export class FleetQueue<T> {
  #byModel = new Map<string, Waiter<T>[]>();
  /** Models with waiting requests, in turn order. */
  #turns: string[] = [];
  #size = 0;
  #options: FleetQueueOptions;
  #pumping = false;

  /** Creates an empty queue. */
  constructor(options: FleetQueueOptions) {
    this.#options = options;
  }

  /** Requests waiting now. */
  get size(): number {
    return this.#size;
  }

  /** Requests waiting now, by model. */
  sizes(): Record<string, number> {
    return Object.fromEntries([...this.#byModel].map(([model, list]) => [model, list.length]));
  }

  /**
   * Waits for a host for a request for `model`.
   *
   * @throws {QueueError} `full` at once past the bound, `timeout`, or `aborted` when `signal` fires.
   */
  wait(model: string, retry: () => RetryOutcome<T>, signal?: AbortSignal): Promise<T> {
    if (this.#size >= this.#options.max) {
      return Promise.reject(
        new QueueError("full", `${this.#size} requests are already waiting for a host`),
      );
    }
    if (signal?.aborted) {
      return Promise.reject(new QueueError("aborted", "the client went away while waiting"));
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        retry,
        resolve: (value) => settle(() => resolve(value)),
        reject: (error) => settle(() => reject(error)),
        done: false,
      };
      const onAbort = () => {
        this.#remove(model, waiter);
        waiter.reject(new QueueError("aborted", "the client went away while waiting"));
      };
      const settle = (then: () => void) => {
        if (waiter.done) return;
        waiter.done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        then();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const timer = setTimeout(() => {
        this.#remove(model, waiter);
        waiter.reject(
          new QueueError("timeout", `no host freed up within ${this.#options.timeoutMs} ms`),
        );
      }, this.#options.timeoutMs);
      let list = this.#byModel.get(model);
      if (!list) {
        list = [];
        this.#byModel.set(model, list);
        this.#turns.push(model);
      }
      list.push(waiter);
      this.#size++;
    });
  }

  #remove(model: string, waiter: Waiter<T>): void {
    const list = this.#byModel.get(model);
    const at = list?.indexOf(waiter) ?? -1;
    if (!list || at < 0) return;
    list.splice(at, 1);
    this.#size--;
    if (list.length === 0) {
      this.#byModel.delete(model);
      this.#turns = this.#turns.filter((m) => m !== model);
    }
  }

  /**
   * Offers freed capacity to waiting requests: models take turns, each offering its oldest request,
   * until a whole round grants nothing.
   */
  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      let progress = true;
      while (progress && this.#turns.length > 0) {
        progress = false;
        for (const model of [...this.#turns]) {
          const head = this.#byModel.get(model)?.[0];
          if (!head) continue;
          const outcome = head.retry();
          if (outcome.type === "wait") continue;
          this.#remove(model, head);
          // The granted model goes to the back of the line.
          if (this.#byModel.has(model)) {
            this.#turns = [...this.#turns.filter((m) => m !== model), model];
          }
          if (outcome.type === "granted") head.resolve(outcome.value);
          else head.reject(outcome.error);
          progress = true;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }
}

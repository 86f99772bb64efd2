/**
 * A bounded FIFO of rows waiting to be written. Past its bound it drops the oldest row (the newest
 * say the most about now); rows are read with {@link RowQueue.peek} and removed with
 * {@link RowQueue.ack} only once written, so a failed write loses nothing. Rows carry sequence
 * numbers: a row dropped by the bound while its batch was being written is not acknowledged twice.
 *
 * @module
 */

/** A FIFO with a bound that drops from the front. */
export class RowQueue<T> {
  #items: (T | undefined)[] = [];
  #start = 0;
  /** The sequence number of the row at `#start`. */
  #first = 0;
  readonly bound: number;

  /** @param bound The most rows kept; older ones are dropped past it. */
  constructor(bound: number) {
    if (!(bound >= 1)) throw new RangeError(`a queue bound must be at least 1, not ${bound}`);
    this.bound = bound;
  }

  /** Rows waiting. */
  get length(): number {
    return this.#items.length - this.#start;
  }

  /** Appends a row; returns how many old rows the bound dropped to make room (0 or 1). */
  push(row: T): number {
    this.#items.push(row);
    if (this.length <= this.bound) return 0;
    this.#advance(1);
    return 1;
  }

  /** Up to `n` of the oldest rows, and the sequence number of the first, to {@link ack} later. */
  peek(n: number): { from: number; rows: T[] } {
    return { from: this.#first, rows: this.#items.slice(this.#start, this.#start + n) as T[] };
  }

  /** Removes the rows `from` to `from + count - 1` (those still queued) once they are written. */
  ack(from: number, count: number): void {
    const end = from + count;
    if (end > this.#first) this.#advance(Math.min(end - this.#first, this.length));
  }

  #advance(n: number): void {
    for (let i = 0; i < n; i++) this.#items[this.#start + i] = undefined;
    this.#start += n;
    this.#first += n;
    if (this.#start > 1024 && this.#start * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#start);
      this.#start = 0;
    }
  }
}

/**
 * A clock for countdowns and ages: a signal holding `Date.now()`, ticking once a second only while
 * something on screen reads it.
 *
 * @module
 */

import { signal } from "@preact/signals";

let timer: ReturnType<typeof setInterval> | undefined;

/** The time now (ms), updated every second while watched. */
export const clock = signal(Date.now(), {
  watched() {
    this.value = Date.now();
    timer = setInterval(() => this.value = Date.now(), 1000);
  },
  unwatched() {
    clearInterval(timer);
    timer = undefined;
  },
});

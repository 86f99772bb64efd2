/**
 * The hub's log: one line per event on standard error. Messages never carry secrets: the fleet
 * key, tokens, API keys and request bodies are not logged.
 *
 * @module
 */

/** Where the hub's parts report what happens. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger that says nothing: the default for hubs started by tests. */
export const quiet: Logger = { info() {}, warn() {}, error() {} };

/** Writes log lines, prefixed with their level when it is not plain information. */
export const log: Logger = {
  info(message: string): void {
    console.error(`corral-hub: ${message}`);
  },
  warn(message: string): void {
    console.error(`corral-hub: warning: ${message}`);
  },
  error(message: string): void {
    console.error(`corral-hub: error: ${message}`);
  },
};

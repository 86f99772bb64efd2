/**
 * The agent's log: one line per event on standard error, which systemd's journal timestamps and
 * keeps. The only agent file that writes to the console, apart from `--help`. Messages never carry
 * secrets: the fleet key, tokens and request bodies are not logged.
 *
 * @module
 */

/** Where the agent's parts report what happens. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** A logger that says nothing: the default for parts started by tests. */
export const quiet: Logger = { info() {}, warn() {} };

/** Writes log lines, prefixed with their level when it is not plain information. */
export const log: Logger = {
  /** Something worth knowing: started, found a hub, Ollama came back. */
  info(message: string): void {
    console.error(`corral-agent: ${message}`);
  },
  /** Something wrong that the agent works around. */
  warn(message: string): void {
    console.error(`corral-agent: warning: ${message}`);
  },
};

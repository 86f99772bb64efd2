/**
 * Corral's own version, reported by agents and hubs (not Ollama's version, which each host reports
 * for itself).
 *
 * @module
 */

/** The version of this Corral release. */
export const CORRAL_VERSION = "0.1.0";

/**
 * The fleet's answers to `GET /api/tags`, `GET /api/ps`, `GET /v1/models` and `GET /v1/models/:id`,
 * merged from what each host's Ollama reports (OLLAMA_API.md §2.5, §2.6, §2.11, §6.4 item 11, §9).
 *
 * Pure functions over the hosts' raw JSON bodies: the hub fetches the bodies, these shape the answer.
 * Clients key everything on the model name (Open WebUI on `model`, ollama-js and the CLI on `name`),
 * so each model appears once, however many hosts have it, with one host's entry kept whole: sizes
 * are never added across hosts. Entries are made well-typed on the way through (size integers,
 * 64-hex digests, RFC 3339 timestamps, names with their tag) because one odd host must not break
 * every client of the fleet.
 *
 * @module
 */

import { modelKey, normalizeModelName } from "../shared/model_name.ts";
import type { ListModel, ModelDetails, ProcessModel } from "../shared/ollama.ts";

/** The host a body came from. */
export interface HostRef {
  id: string;
  /** Display name, as the dashboard shows it. */
  name: string;
}

/** One host's `/api/tags` models, as its Ollama sent them. */
export interface HostTags {
  host: HostRef;
  models: ListModel[];
}

/** One host's `/api/ps` models, as its Ollama sent them. */
export interface HostPs {
  host: HostRef;
  models: ProcessModel[];
}

/** One entry of `GET /v1/models`, as Ollama's OpenAI layer writes it. */
export interface OpenAIModel {
  id: string;
  object: "model";
  /** Unix seconds of the model's `modified_at`. */
  created: number;
  /** The namespace of the name: `library` for library models. */
  owned_by: string;
}

/** Where one host has models, by display name. */
export interface Placement {
  /** Models on the host's disk (its `/api/tags`), sorted. */
  onDisk: string[];
  /** Models in the host's memory (its `/api/ps`), sorted. */
  loaded: string[];
}

/** Go's zero `time.Time` as JSON: what Ollama writes for a time it does not know. */
const ZERO_TIME = "0001-01-01T00:00:00Z";
/** The digest written for an entry whose own digest is not 64 hex digits (e.g. llama-server's ""). */
const UNKNOWN_DIGEST = "0".repeat(64);
const DEFAULT_DETAILS: ModelDetails = {
  parent_model: "",
  format: "",
  family: "",
  families: null,
  parameter_size: "",
  quantization_level: "",
};

/** An instant to the nanosecond: whole Unix seconds and the nanoseconds past them. */
interface Instant {
  seconds: number;
  nanos: number;
}

const GO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 time as Go writes it, keeping all nine fractional digits (a `Date` would
 * keep three) and honouring the offset: `modified_at` and `expires_at` are server-local.
 */
function parseGoTime(text: unknown): Instant | undefined {
  if (typeof text !== "string") return undefined;
  const m = GO_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  if (
    month! < 1 || month! > 12 || day! < 1 || day! > 31 || hour! > 23 || minute! > 59 ||
    second! > 59
  ) {
    return undefined;
  }
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999, and Go's zero is year 1.
  date.setUTCFullYear(year!, month! - 1, day!);
  date.setUTCHours(hour!, minute!, second!, 0);
  const offset = m[8] ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11]) * 60);
  return {
    seconds: date.getTime() / 1000 - offset,
    nanos: m[7] ? Number(m[7].padEnd(9, "0")) : 0,
  };
}

const ZERO_INSTANT = parseGoTime(ZERO_TIME)!;

function compareInstants(a: Instant, b: Instant): number {
  return a.seconds - b.seconds || a.nanos - b.nanos;
}

/** A byte count or token count as a non-negative integer: numbers and numeric strings kept, else 0. */
function toCount(value: unknown): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : 0;
}

/** A manifest digest as `/api/tags` shows it: 64 lower-case hex digits, no `sha256:` prefix. */
function toDigest(value: unknown): string {
  const hex = typeof value === "string" ? value.replace(/^sha256[:-]/i, "").toLowerCase() : "";
  return /^[0-9a-f]{64}$/.test(hex) ? hex : UNKNOWN_DIGEST;
}

/** `details` with every string Ollama always sends, keeping any extra fields the host sent. */
function toDetails(value: unknown): ModelDetails {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? { ...DEFAULT_DETAILS, ...value as Partial<ModelDetails> }
    : { ...DEFAULT_DETAILS };
}

/** The models array of a raw body; anything else (null, a llama-server body...) is empty. */
function entriesOf(models: unknown): Record<string, unknown>[] {
  if (!Array.isArray(models)) return [];
  return models.filter((m): m is Record<string, unknown> =>
    typeof m === "object" && m !== null && !Array.isArray(m)
  );
}

/** The display name and key of a raw entry (`name`, or `model` when `name` is missing). */
function nameOf(raw: Record<string, unknown>): { key: string; display: string } | undefined {
  const name = typeof raw.name === "string" ? raw.name : raw.model;
  if (typeof name !== "string") return undefined;
  const key = modelKey(name);
  const display = normalizeModelName(name);
  return key === undefined || display === undefined ? undefined : { key, display };
}

interface Cleaned<T> {
  key: string;
  entry: T;
  /** `modified_at` for tags, `expires_at` for ps. */
  when: Instant;
}

function cleanListModel(raw: Record<string, unknown>): Cleaned<ListModel> | undefined {
  const name = nameOf(raw);
  if (!name) return undefined;
  const when = parseGoTime(raw.modified_at);
  const entry = {
    ...raw,
    name: name.display,
    model: name.display,
    modified_at: when ? raw.modified_at as string : ZERO_TIME,
    size: toCount(raw.size),
    digest: toDigest(raw.digest),
    details: toDetails(raw.details),
  } as ListModel;
  return { key: name.key, entry, when: when ?? ZERO_INSTANT };
}

function cleanProcessModel(raw: Record<string, unknown>): Cleaned<ProcessModel> | undefined {
  const name = nameOf(raw);
  if (!name) return undefined;
  const when = parseGoTime(raw.expires_at);
  const entry = {
    ...raw,
    name: name.display,
    model: name.display,
    size: toCount(raw.size),
    digest: toDigest(raw.digest),
    details: toDetails(raw.details),
    expires_at: when ? raw.expires_at as string : ZERO_TIME,
    size_vram: toCount(raw.size_vram),
    context_length: toCount(raw.context_length),
  } as ProcessModel;
  return { key: name.key, entry, when: when ?? ZERO_INSTANT };
}

/**
 * Keeps, per model key, the entry with the latest `when` (the first seen on a tie), then sorts
 * latest first as Ollama does; equal instants fall back to the name so the order is stable.
 */
function latestPerModel<T extends { name: string }>(
  hosts: readonly { models: unknown }[],
  clean: (raw: Record<string, unknown>) => Cleaned<T> | undefined,
): T[] {
  const kept = new Map<string, Cleaned<T>>();
  for (const host of hosts) {
    for (const raw of entriesOf(host.models)) {
      const item = clean(raw);
      if (!item) continue;
      const seen = kept.get(item.key);
      if (!seen || compareInstants(item.when, seen.when) > 0) kept.set(item.key, item);
    }
  }
  return [...kept.values()]
    .sort((a, b) =>
      compareInstants(b.when, a.when) ||
      (a.entry.name < b.entry.name ? -1 : a.entry.name > b.entry.name ? 1 : 0)
    )
    .map((item) => item.entry);
}

/**
 * Merges the hosts' `/api/tags` into the fleet's: one entry per model, newest `modified_at` first.
 *
 * Each model keeps one host's entry whole (its own `size`, `digest`, `details`, `capabilities` and
 * any other field): the one with the newest `modified_at`. When hosts hold different versions
 * (different digests) that is the newest version; when they agree, the latest pull. Entries whose
 * name Ollama would reject are dropped.
 *
 * @param hosts Each online host's `/api/tags` models, in any order.
 * @returns The fleet's `/api/tags` body; `{"models":[]}` for an empty fleet.
 */
export function mergeTags(hosts: readonly HostTags[]): { models: ListModel[] } {
  return { models: latestPerModel(hosts, cleanListModel) };
}

/**
 * Merges the hosts' `/api/ps` into the fleet's: one entry per model name, latest `expires_at` first.
 *
 * A model loaded on several hosts collapses into the entry of the host whose `expires_at` is the
 * latest (the one that stays loaded longest), taken whole: its `size`, `size_vram`,
 * `context_length` and `expires_at` come from that one runner. Taking the maximum of each field
 * instead could pair one host's `size` with another's `size_vram`, and clients derive "% GPU" from
 * that ratio. Per-host detail is in {@link placement}.
 *
 * @param hosts Each online host's `/api/ps` models, in any order.
 * @returns The fleet's `/api/ps` body; `{"models":[]}` when nothing is loaded.
 */
export function mergePs(hosts: readonly HostPs[]): { models: ProcessModel[] } {
  return { models: latestPerModel(hosts, cleanProcessModel) };
}

/**
 * Which host has which model on disk and in memory, for the dashboard and admin tools.
 *
 * Keys are host display names; when two hosts share a name, both are keyed `name (id)`. A host
 * that appears in only one of the lists gets an empty array for the other. Model names are in
 * display form, deduplicated by model key and sorted; invalid names are dropped.
 *
 * @param hostsTags Each host's `/api/tags` models.
 * @param hostsPs Each host's `/api/ps` models.
 * @returns Placement per host, keys sorted.
 */
export function placement(
  hostsTags: readonly HostTags[],
  hostsPs: readonly HostPs[],
): Record<string, Placement> {
  const byId = new Map<
    string,
    { host: HostRef; onDisk: Map<string, string>; loaded: Map<string, string> }
  >();
  const add = (host: HostRef, models: unknown, list: "onDisk" | "loaded") => {
    let slot = byId.get(host.id);
    if (!slot) {
      slot = { host, onDisk: new Map(), loaded: new Map() };
      byId.set(host.id, slot);
    }
    for (const raw of entriesOf(models)) {
      const name = nameOf(raw);
      if (name && !slot[list].has(name.key)) slot[list].set(name.key, name.display);
    }
  };
  for (const { host, models } of hostsTags) add(host, models, "onDisk");
  for (const { host, models } of hostsPs) add(host, models, "loaded");

  const nameCount = new Map<string, number>();
  for (const { host } of byId.values()) {
    nameCount.set(host.name, (nameCount.get(host.name) ?? 0) + 1);
  }
  const sorted = (names: Map<string, string>) => [...names.values()].sort();
  const entries = [...byId.values()].map(({ host, onDisk, loaded }): [string, Placement] => [
    nameCount.get(host.name)! > 1 ? `${host.name} (${host.id})` : host.name,
    { onDisk: sorted(onDisk), loaded: sorted(loaded) },
  ]);
  // fromEntries defines own properties, so a host named "__proto__" stays a plain key.
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The `/v1/models/:id` object for a model, as Ollama's OpenAI layer builds it.
 *
 * `id` echoes the requested id (as Ollama does, not the stored spelling); `owned_by` is the
 * namespace part of that id, `library` when it has none (the same rule as the simulator's
 * `scripts/sim/routes_openai.ts`); `created` is the Unix second of `modified_at`.
 *
 * @param id The id as the client asked for it (percent-decoded).
 * @param entry The model's merged `/api/tags` entry.
 * @returns The OpenAI model object.
 */
export function toOpenAIModel(id: string, entry: ListModel): OpenAIModel {
  const owner = id.includes("/") ? id.split("/").at(-2)! : "library";
  const created = (parseGoTime(entry.modified_at) ?? ZERO_INSTANT).seconds;
  return { id, object: "model", created, owned_by: owner };
}

/**
 * The fleet's `GET /v1/models` body from its merged `/api/tags`, in the same order.
 *
 * @param tags The output of {@link mergeTags}.
 * @returns `{"object":"list","data":[...]}`, with `data: null` when there are no models, as
 *   Ollama's Go encoder writes a nil slice.
 */
export function toOpenAIModels(
  tags: { models: readonly ListModel[] },
): { object: "list"; data: OpenAIModel[] | null } {
  return {
    object: "list",
    data: tags.models.length === 0 ? null : tags.models.map((m) => toOpenAIModel(m.name, m)),
  };
}

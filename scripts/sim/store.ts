/**
 * The simulated models directory: manifests (name → layers) and blobs (digest → size), with the
 * same digests every time so that two simulated hosts agree on what "the same model" is.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { modelKey } from "../../shared/model_name.ts";
import type { ModelSpec } from "./catalogue.ts";

/** One layer of a manifest. */
export interface Layer {
  mediaType: string;
  digest: string;
  size: number;
}

/** A model on disk. */
export interface StoredModel {
  name: string;
  spec: ModelSpec;
  /** Manifest digest: 64 hex digits, no `sha256:` prefix (as `/api/tags` shows it). */
  digest: string;
  /** Layers plus the config blob, in pull order. */
  layers: Layer[];
  modifiedAt: number;
}

/** Hex SHA-256 of a string. */
export function sha256Hex(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}

const SMALL_LAYERS: readonly [string, number][] = [
  ["application/vnd.ollama.image.template", 1723],
  ["application/vnd.ollama.image.license", 11357],
  ["application/vnd.ollama.image.params", 120],
  ["application/vnd.docker.container.image.v1+json", 487],
];

/** The layers a library model is published with: the weights blob, then the small ones. */
export function libraryLayers(spec: ModelSpec): Layer[] {
  const small = SMALL_LAYERS.reduce((sum, [, size]) => sum + size, 0);
  return [
    {
      mediaType: "application/vnd.ollama.image.model",
      digest: "sha256:" + sha256Hex(`weights:${spec.source}`),
      size: Math.max(1, spec.size - small),
    },
    ...SMALL_LAYERS.map(([mediaType, size]) => ({
      mediaType,
      digest: "sha256:" + sha256Hex(`${mediaType}:${spec.source}`),
      size,
    })),
  ];
}

/** The manifest digest of a list of layers. */
export function manifestDigest(layers: readonly Layer[]): string {
  return sha256Hex(JSON.stringify(layers.map((l) => l.digest)));
}

/** The simulated models directory. */
export class ModelStore {
  #models = new Map<string, StoredModel>();
  #blobs = new Map<string, number>();

  /** Adds or replaces a model; its layers become present blobs. */
  put(spec: ModelSpec, layers: Layer[], modifiedAt: number): StoredModel {
    const stored: StoredModel = {
      name: spec.name,
      spec,
      digest: manifestDigest(layers),
      layers,
      modifiedAt,
    };
    this.#models.set(modelKey(spec.name)!, stored);
    for (const layer of layers) this.#blobs.set(layer.digest, layer.size);
    return stored;
  }

  /** Finds a model by any spelling of its name. */
  get(name: string): StoredModel | undefined {
    const key = modelKey(name);
    return key === undefined ? undefined : this.#models.get(key);
  }

  /** Every model, newest `modified_at` first, as `/api/tags` lists them. */
  list(): StoredModel[] {
    return [...this.#models.values()].sort((a, b) => b.modifiedAt - a.modifiedAt);
  }

  /** Copies a manifest under a new name. */
  copy(source: StoredModel, destination: string, now: number): StoredModel {
    return this.put({ ...source.spec, name: destination }, source.layers, now);
  }

  /** Removes a model and any blob no other model uses. */
  delete(name: string): boolean {
    const key = modelKey(name);
    const model = key === undefined ? undefined : this.#models.get(key);
    if (!model) return false;
    this.#models.delete(key!);
    const used = new Set([...this.#models.values()].flatMap((m) => m.layers.map((l) => l.digest)));
    for (const layer of model.layers) if (!used.has(layer.digest)) this.#blobs.delete(layer.digest);
    return true;
  }

  /** Whether a blob is present. */
  hasBlob(digest: string): boolean {
    return this.#blobs.has(digest);
  }

  /** The size of a present blob. */
  blobSize(digest: string): number | undefined {
    return this.#blobs.get(digest);
  }

  /** Records an uploaded or downloaded blob. */
  putBlob(digest: string, size: number): void {
    this.#blobs.set(digest, size);
  }
}

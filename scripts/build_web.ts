/**
 * `deno task web:build`: bundles the dashboard (`web/main.tsx`) with `deno bundle` into `web/dist/`:
 * `assets/app-<hash>.js` and `.css` (names change with content, so the hub can let browsers cache
 * them for ever), a gzipped copy of each (the hub sends it to browsers that accept gzip), and
 * `index.html` from `web/index.html` with the two tags filled in. Prints each file's size, raw and
 * gzipped, and fails when the app is over its budget (120 KB gzipped, issue #6).
 *
 * @module
 */

import { encodeHex } from "../shared/encoding.ts";

/** The most the app's JavaScript and CSS may weigh together, gzipped. */
export const BUDGET_GZIP_BYTES = 120 * 1024;

/** What a build wrote. */
export interface WebBuild {
  /** Paths under `dist` (`assets/app-1a2b3c4d5e.js`). */
  js: string;
  css: string | null;
  /** Bytes, raw and gzipped, of the JavaScript and CSS together. */
  rawBytes: number;
  gzipBytes: number;
}

const ROOT = new URL("../", import.meta.url);

/** Gzips `data` with the platform's CompressionStream. */
export async function gzip(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function contentHash(data: Uint8Array<ArrayBuffer>): Promise<string> {
  return encodeHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data))).slice(0, 10);
}

/** Builds the dashboard into `dist` (default `web/dist/`), replacing what was there. */
export async function buildWeb(
  dist: URL = new URL("web/dist/", ROOT),
): Promise<WebBuild> {
  const scratch = await Deno.makeTempDir({ prefix: "corral-web-" });
  try {
    const bundle = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform=browser",
        "--minify",
        "-o",
        `${scratch}/app.js`,
        new URL("web/main.tsx", ROOT).pathname,
      ],
      cwd: new URL(".", ROOT).pathname,
      stdout: "piped",
      stderr: "piped",
      env: { DENO_NO_UPDATE_CHECK: "1" },
    }).output();
    if (!bundle.success) {
      throw new Error(`deno bundle failed:\n${new TextDecoder().decode(bundle.stderr)}`);
    }
    await Deno.remove(dist, { recursive: true }).catch(() => {});
    await Deno.mkdir(new URL("assets/", dist), { recursive: true });

    let rawBytes = 0;
    let gzipBytes = 0;
    const emit = async (name: string, ext: string): Promise<string | null> => {
      let data: Uint8Array<ArrayBuffer>;
      try {
        data = await Deno.readFile(`${scratch}/${name}`);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return null;
        throw error;
      }
      const packed = await gzip(data);
      const path = `assets/app-${await contentHash(data)}.${ext}`;
      await Deno.writeFile(new URL(path, dist), data);
      await Deno.writeFile(new URL(`${path}.gz`, dist), packed);
      rawBytes += data.length;
      gzipBytes += packed.length;
      return path;
    };
    const js = await emit("app.js", "js");
    if (!js) throw new Error("deno bundle wrote no app.js");
    const css = await emit("app.css", "css");

    const template = await Deno.readTextFile(new URL("web/index.html", ROOT));
    const html = template
      .replace("<!--app.css-->", css ? `<link rel="stylesheet" href="/${css}">` : "")
      .replace("<!--app.js-->", `<script type="module" src="/${js}"></script>`);
    await Deno.writeTextFile(new URL("index.html", dist), html);
    return { js, css, rawBytes, gzipBytes };
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}

if (import.meta.main) {
  const started = performance.now();
  const build = await buildWeb();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `web/dist: ${build.js}${build.css ? ` + ${build.css}` : ""}: ${kb(build.rawBytes)}, ` +
      `${kb(build.gzipBytes)} gzipped (budget ${kb(BUDGET_GZIP_BYTES)}), ` +
      `${Math.round(performance.now() - started)} ms`,
  );
  if (build.gzipBytes > BUDGET_GZIP_BYTES) {
    console.error("The dashboard is over its size budget");
    Deno.exit(1);
  }
}

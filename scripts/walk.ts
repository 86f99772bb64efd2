/**
 * Lists the TypeScript files under some folders, for repo-wide scripts.
 *
 * @module
 */

/** Yields `.ts` and `.tsx` paths under each root (missing roots are skipped). */
export async function* walk(roots: readonly string[]): AsyncGenerator<string> {
  for (const root of roots) {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(root));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = `${root}/${entry.name}`;
      if (entry.isDirectory && entry.name !== "node_modules" && entry.name !== "dist") {
        yield* walk([path]);
      } else if (entry.isFile && /\.tsx?$/.test(entry.name)) yield path;
    }
  }
}

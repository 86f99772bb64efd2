/**
 * The charts' line colours, picked to read on the dark theme and apart from each other.
 *
 * @module
 */

/** The colours: ten hues far enough apart to tell lines apart on the dark theme. */
export const PALETTE: readonly string[] = [
  "#4f9cf7", // blue
  "#3fb950", // green
  "#e3b341", // amber
  "#f778ba", // pink
  "#a371f7", // violet
  "#39c5cf", // cyan
  "#ff7b72", // coral
  "#b1bac4", // grey
  "#a5d65b", // lime
  "#f0883e", // orange
];

/** The colour of the `i`th line (from 0), wrapping around. */
export function colorAt(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

/** A stable number for a name (FNV-1a), so a name keeps its colour across charts and reloads. */
function hash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The colour a name prefers: the same on every chart, the event lanes included. */
export function colorOf(name: string): string {
  return colorAt(hash(name));
}

/**
 * Colours for a chart's lines: each name gets its preferred colour ({@link colorOf}) unless an
 * earlier line took it, then the next free one, so that lines on one chart never share a colour
 * while the palette lasts.
 */
export function assignColors(names: readonly string[]): string[] {
  const taken = new Set<number>();
  return names.map((name) => {
    const start = hash(name) % PALETTE.length;
    let slot = start;
    for (let k = 0; k < PALETTE.length; k++) {
      const candidate = (start + k) % PALETTE.length;
      if (!taken.has(candidate)) {
        slot = candidate;
        break;
      }
    }
    if (taken.size >= PALETTE.length) taken.clear();
    taken.add(slot);
    return PALETTE[slot]!;
  });
}

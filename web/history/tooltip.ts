/**
 * A uPlot plugin that shows the values under the cursor in a small floating box: the bucket's
 * time, then each visible line's value, largest first. Built with DOM calls (no HTML strings), so
 * a model's name is shown as text whatever it holds.
 *
 * @module
 */

import type uPlot from "uplot";

/** Formats one value for the box. */
export type ValueFormat = (value: number | null) => string;

const MAX_ROWS = 10;

function timeText(seconds: number, step: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  const time = `${p(d.getHours())}:${p(d.getMinutes())}${step < 60 ? `:${p(d.getSeconds())}` : ""}`;
  const date = `${d.toLocaleString("en", { month: "short" })} ${d.getDate()}`;
  return `${date} ${time}`;
}

/**
 * The tooltip plugin.
 *
 * @param options `format`, how values read; `step`, the bucket width in seconds (times show
 * seconds only where they matter); `colors`, each line's colour.
 */
export function tooltipPlugin(
  options: { format: ValueFormat; step: number; colors: readonly string[] },
): uPlot.Plugin {
  const { format, step, colors } = options;
  let box: HTMLDivElement;
  // Charts share a cursor; only the one under the mouse shows its box.
  let hovered = false;
  return {
    hooks: {
      init(u) {
        box = document.createElement("div");
        box.className = "chart-tip";
        box.style.display = "none";
        u.over.appendChild(box);
        u.over.addEventListener("mouseenter", () => hovered = true);
        u.over.addEventListener("mouseleave", () => {
          hovered = false;
          box.style.display = "none";
        });
      },
      setCursor(u) {
        const { idx, left = -1, top = 0 } = u.cursor;
        if (!hovered || idx === null || idx === undefined || left < 0) {
          box.style.display = "none";
          return;
        }
        const rows: { label: string; color: string; value: number | null }[] = [];
        u.series.forEach((s, i) => {
          if (i === 0 || s.show === false) return;
          const value = (u.data[i]?.[idx] ?? null) as number | null;
          rows.push({ label: String(s.label ?? ""), color: colors[i - 1] ?? "", value });
        });
        rows.sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity));
        box.replaceChildren();
        const head = document.createElement("div");
        head.className = "chart-tip-time";
        head.textContent = timeText(u.data[0][idx]!, step);
        box.appendChild(head);
        for (const row of rows.slice(0, MAX_ROWS)) {
          const line = document.createElement("div");
          line.className = "chart-tip-row";
          const dot = document.createElement("i");
          dot.style.background = row.color;
          const label = document.createElement("span");
          label.textContent = row.label;
          const value = document.createElement("b");
          value.textContent = format(row.value);
          line.append(dot, label, value);
          box.appendChild(line);
        }
        if (rows.length > MAX_ROWS) {
          const more = document.createElement("div");
          more.className = "chart-tip-more";
          more.textContent = `+ ${rows.length - MAX_ROWS} more`;
          box.appendChild(more);
        }
        box.style.display = "block";
        const width = u.over.clientWidth;
        const flip = left > width / 2;
        box.style.left = flip ? "" : `${left + 14}px`;
        box.style.right = flip ? `${width - left + 14}px` : "";
        box.style.top = `${Math.max(0, Math.min(top, u.over.clientHeight - box.offsetHeight))}px`;
      },
    },
  };
}

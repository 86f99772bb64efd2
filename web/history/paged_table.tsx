/**
 * `<PagedTable>`: a history table a page at a time: its rows, the error, empty and loading states
 * around them, and "Load more" while the cursor has more.
 *
 * @module
 */

import type { ComponentChildren } from "preact";
import type { Paged } from "./use_paged.ts";

/** What {@link PagedTable} shows. */
export interface PagedTableProps<T> {
  paged: Paged<T>;
  head: ComponentChildren;
  row: (item: T) => ComponentChildren;
  /** Classes of the `<table>` besides `table`. */
  tableClass?: string;
  /** What an empty result says. @default "Nothing in this range" */
  empty?: string;
  /** A count shown left of "Load more" (`12 requests shown`); without it the button is centred. */
  count?: (shown: number) => string;
}

/** A table's frame: its rows, or the states around them, and "load more". */
export function PagedTable<T>(props: PagedTableProps<T>) {
  const { paged, count } = props;
  const shown = paged.items.length;
  return (
    <div class="paged">
      <div class="table-wrap">
        <table class={props.tableClass ? `table ${props.tableClass}` : "table"}>
          <thead>{props.head}</thead>
          <tbody>{paged.items.map(props.row)}</tbody>
        </table>
      </div>
      {paged.error && <div class="chart-state bad">{paged.error.message}</div>}
      {!paged.error && !paged.loading && shown === 0 && (
        <div class="chart-state">{props.empty ?? "Nothing in this range"}</div>
      )}
      {(count || paged.hasMore || paged.loading) && (
        <div class={count ? "more counted" : "more"}>
          {count && <span class="faint">{shown > 0 && count(shown)}</span>}
          {(paged.hasMore || paged.loading) && (
            <button type="button" class="btn small" disabled={paged.loading} onClick={paged.more}>
              {paged.loading ? "Loading…" : "Load more"}
            </button>
          )}
        </div>
      )}
    </div>
  );
}

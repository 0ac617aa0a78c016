/**
 * A fixed-width table: a bold header, then a window of rows that keeps the cursor visible. Every
 * row is one line (cut, never wrapped) so that the pane heights computed in layout.ts hold.
 */
import { Text } from 'ink';
import { cell } from '../format.js';
import { windowStart } from '../layout.js';

export interface Column {
  title: string;
  /** Width in columns; the last column may use 0 for "the rest of the line". */
  width: number;
  align?: 'left' | 'right';
  /** Columns that may go when the line is too narrow, lowest number first. */
  drop?: number;
}

/** What the last, flexible column needs at least. */
const FLEX_MIN = 12;
const GAP = ' ';
/** The cursor is also a character, so that it shows without colours (a pipe, a screen capture). */
const MARK = '› ';
const MARK_BLANK = '  ';

export type Cell = string | { text: string; color?: string; dim?: boolean };

export interface TableRow {
  key: string;
  cells: Cell[];
  dim?: boolean;
}

export interface TableProps {
  columns: Column[];
  rows: TableRow[];
  /** Visible rows (the header not counted). */
  height: number;
  /** Row under the cursor, or null when the pane is not focused. */
  cursor: number | null;
  /** What to show when there are no rows. */
  empty: string;
  emptyColor?: string;
  /** Columns of text available; optional columns are dropped until the fixed ones fit. */
  width: number;
}

/** The indexes of the columns that fit in `width`, dropping optional ones in their order. */
export function fittingColumns(columns: readonly Column[], width: number): number[] {
  const kept = columns.map((_, i) => i);
  const need = () => MARK.length + kept.reduce((sum, i) => sum + (columns[i].width || FLEX_MIN) + GAP.length, -GAP.length);
  const droppable = columns.map((c, i) => ({ i, drop: c.drop })).filter((c) => c.drop !== undefined).sort((a, b) => a.drop! - b.drop!);
  for (const { i } of droppable) {
    if (need() <= width) break;
    kept.splice(kept.indexOf(i), 1);
  }
  return kept;
}


export function Table({ columns: all, rows: allRows, height, cursor, empty, emptyColor, width }: TableProps) {
  const keep = fittingColumns(all, width);
  const columns = keep.map((i) => all[i]);
  const rows = allRows.map((row) => ({ ...row, cells: keep.map((i) => row.cells[i]) }));
  const start = cursor === null ? 0 : windowStart(cursor, height, rows.length);
  const shown = rows.slice(start, start + height);
  const text = (c: Cell): string => (typeof c === 'string' ? c : c.text);
  const fit = (c: Cell, i: number): string => {
    const column = columns[i];
    return column.width > 0 ? cell(text(c), column.width, column.align) : cell(text(c), 400).trimEnd();
  };
  return (
    <>
      <Text bold wrap="truncate">
        {MARK_BLANK}
        {columns.map((c, i) => (c.width > 0 ? cell(c.title, c.width, c.align) : c.title)).join(GAP)}
      </Text>
      {shown.length === 0 ? (
        <Text color={emptyColor} dimColor={!emptyColor} wrap="truncate">
          {MARK_BLANK}
          {empty}
        </Text>
      ) : (
        shown.map((row, i) => {
          const selected = cursor !== null && start + i === cursor;
          return (
            <Text key={row.key} inverse={selected} dimColor={row.dim} wrap="truncate">
              {selected ? MARK : MARK_BLANK}
              {row.cells.map((c, j) => {
                const body = `${j > 0 ? GAP : ''}${fit(c, j)}`;
                return typeof c === 'string' ? (
                  body
                ) : (
                  <Text key={j} color={c.color} dimColor={c.dim}>
                    {body}
                  </Text>
                );
              })}
            </Text>
          );
        })
      )}
    </>
  );
}

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
}

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
}

const GAP = ' ';
/** The cursor is also a character, so that it shows without colours (a pipe, a screen capture). */
const MARK = '›';
const MARK_BLANK = ' ';

export function Table({ columns, rows, height, cursor, empty, emptyColor }: TableProps) {
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

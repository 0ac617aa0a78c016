/**
 * A bordered box of a fixed height; the focused pane's border is drawn in colour.
 */
import type { ReactNode } from 'react';
import { Box } from 'ink';

/** Columns the border and padding take from the terminal's width. */
export const PANE_CHROME = 4;

export interface PaneProps {
  /** Content lines (the border not counted). */
  lines: number;
  focused: boolean;
  children: ReactNode;
}

export function Pane({ lines, focused, children }: PaneProps) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={focused ? 'cyan' : 'gray'} height={lines + 2} overflow="hidden" paddingX={1}>
      {children}
    </Box>
  );
}

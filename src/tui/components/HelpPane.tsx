/**
 * The `?` screen: every key and what it does.
 */
import { Text } from 'ink';
import { Pane } from './Pane.js';

export const KEY_HELP: ReadonlyArray<readonly [string, string]> = [
  ['tab / shift-tab, h / l, ← / →', 'move between the queues, workers and jobs panes'],
  ['j / k, ↓ / ↑, PgDn / PgUp, g / G', 'move the cursor in the focused pane'],
  ['1..8, [ / ]', 'jobs tab: queued, running, retrying, scheduled, dead_letter, failed, completed, cancelled'],
  ['/', 'filter jobs: words match id, type, queue, worker, error; queue:NAME type:NAME worker:ID ask the master'],
  ['Enter', 'open the job (jobs pane); jobs of the queue or worker (other panes)'],
  ['Esc', 'back: close the job, clear the message, clear the filter'],
  ['c', 'cancel the selected or open job (asks y/n)'],
  ['R', 'retry a failed, dead_letter or cancelled job (asks y/n)'],
  ['p', 'pause or resume the selected queue (asks y/n)'],
  ['?', 'this help'],
  ['q, Ctrl-C', 'quit'],
];

export function HelpPane({ lines }: { lines: number }) {
  return (
    <Pane lines={lines} focused>
      <Text bold>Keys</Text>
      {KEY_HELP.map(([keys, what]) => (
        <Text key={keys} wrap="truncate">
          <Text color="cyan">{keys.padEnd(36)}</Text>
          {what}
        </Text>
      ))}
      <Text dimColor>Counts refresh every second; the jobs list shows at most one page per tab. ? or Esc closes this help.</Text>
    </Pane>
  );
}

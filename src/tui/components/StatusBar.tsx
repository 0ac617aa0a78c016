/**
 * The last line: a y/n question, the filter being typed, the result of the last action, or the keys.
 */
import { Text } from 'ink';
import type { UiState } from '../reducer.js';

const HINTS = 'tab/h/l pane  j/k move  1-8 status  / filter  Enter open  c cancel  R retry  p pause  ? help  q quit';

export function StatusBar({ ui }: { ui: UiState }) {
  if (ui.confirm) {
    return (
      <Text color="yellow" bold wrap="truncate">
        {`${ui.confirm.prompt} y/n`}
      </Text>
    );
  }
  if (ui.editingFilter) {
    return (
      <Text color="yellow" wrap="truncate">
        {`filter /${ui.filter}▏  Enter keeps it, Esc clears it; queue:NAME type:NAME worker:ID ask the master`}
      </Text>
    );
  }
  if (ui.notice) {
    return (
      <Text color={ui.notice.tone === 'error' ? 'red' : 'green'} wrap="truncate">
        {ui.notice.text}
      </Text>
    );
  }
  return (
    <Text dimColor wrap="truncate">
      {HINTS}
    </Text>
  );
}

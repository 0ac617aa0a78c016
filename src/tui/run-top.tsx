/**
 * `nucleus top` in a terminal: wires the data hook to the presentational App and runs it with
 * Ink on the alternate screen (like top and htop, the shell's scrollback is left as it was).
 * Ink redraws at most 10 times a second here, on top of the feed's own coalescing.
 */
import { useMemo } from 'react';
import { render, useApp } from 'ink';
import { App } from './components/App.js';
import { useCluster } from './hooks/use-cluster.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import type { FeedClient, FeedOptions } from './cluster-feed.js';
import type { TopActions } from './model.js';

const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_ALT_SCREEN = '\u001b[?1049l';

export interface TopOptions {
  client: FeedClient;
  /** host:port shown in the title. */
  address: string;
  feed?: FeedOptions;
}

function Top({ client, address, feed }: TopOptions) {
  const cluster = useCluster(client, address, feed);
  const { exit } = useApp();
  const size = useTerminalSize();
  const { query, cancel, retry, pause } = cluster;
  const actions = useMemo<TopActions>(() => ({ query, cancel, retry, pause, quit: () => exit() }), [query, cancel, retry, pause, exit]);
  return <App data={cluster.data} actions={actions} size={size} />;
}

/** Runs the live screen until the user quits. */
export async function runTop(options: TopOptions): Promise<void> {
  process.stdout.write(ENTER_ALT_SCREEN);
  const instance = render(<Top {...options} />, { exitOnCtrlC: false, maxFps: 10, patchConsole: true });
  // Killed from outside (kill, a closed terminal): unmount like q does, so that the feed stops and
  // the shell gets its screen back instead of being left on the alternate one.
  const stop = () => instance.unmount();
  const signals = ['SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.once(signal, stop);
  try {
    await instance.waitUntilExit();
  } finally {
    for (const signal of signals) process.off(signal, stop);
    process.stdout.write(LEAVE_ALT_SCREEN);
  }
}

/**
 * A terminal for end-to-end tests of `nucleus top`: a tmux server of its own (one socket per test
 * file), one session, read with capture-pane and driven with send-keys.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from './cluster.js';

const run = promisify(execFile);

export interface Terminal {
  tmux(...args: string[]): Promise<string>;
  screen(): Promise<string>;
  keys(...k: string[]): Promise<string>;
  text(t: string): Promise<string>;
  /** Polls the screen until `test` holds and returns that screen; the error shows the last screen. */
  onScreen(what: string, test: (s: string) => boolean, timeoutMs?: number): Promise<string>;
}

/** Throws a clear error when tmux is not installed. */
export async function requireTmux(): Promise<void> {
  await run('tmux', ['-V']).catch(() => {
    throw new Error('tmux is required for this test (apt-get install tmux)');
  });
}

export function terminal(socket: string, session: string): Terminal {
  const tmux = async (...args: string[]): Promise<string> => (await run('tmux', ['-L', socket, ...args], { encoding: 'utf8' })).stdout;
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  return {
    tmux,
    screen,
    keys: (...k) => tmux('send-keys', '-t', session, ...k),
    text: (t) => tmux('send-keys', '-t', session, '-l', t),
    async onScreen(what, test, timeoutMs = 20_000) {
      let last = '';
      try {
        return await waitFor(async () => (test((last = await screen())) ? last : null), what, timeoutMs, 100);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- screen ---\n${last}`);
      }
    },
  };
}

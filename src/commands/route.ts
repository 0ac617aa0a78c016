/**
 * What the entry points (bin/run.js and the single executable) do with the arguments before
 * oclif sees them: `nucleus help <command>` is `nucleus <command> --help`, and a word that is not
 * a command is refused with the closest command's name. Without a plugin: the single executable
 * bundles commands, not oclif plugins, and this needs only the list of command ids.
 */
import { nearest } from '../core/nearest.js';
import { ExitCode } from './exit-codes.js';

export type Routed = { args: string[] } | { error: string; exitCode: number };

export function routeArgs(argv: readonly string[], commandIds: readonly string[], bin = 'nucleus'): Routed {
  let args = [...argv];
  if (args[0] === 'help') args = args.length === 1 ? ['--help'] : [...args.slice(1), '--help'];
  const first = args[0];
  if (first === undefined || first.startsWith('-') || commandIds.includes(first)) return { args };
  const guess = nearest(first, commandIds);
  return {
    error: `${bin}: ${first} is not a ${bin} command${guess ? `; did you mean ${guess}?` : ''} (\`${bin} --help\` lists them)`,
    exitCode: ExitCode.Usage,
  };
}

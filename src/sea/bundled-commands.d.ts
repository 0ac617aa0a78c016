/**
 * The command table of the single executable, generated at build time by the `lazyCommands`
 * esbuild plugin (scripts/binary-plugins.mjs) from src/commands/index.ts.
 */
declare module 'nucleus:bundled-commands' {
  import type { Command, Interfaces } from '@oclif/core';

  /** oclif's manifest of every command: ids, summaries, flags; enough for `--help`. */
  export const COMMAND_MANIFEST: Interfaces.Manifest;
  /** Per command id, a loader that evaluates only that command's module. */
  export const COMMAND_LOADERS: Record<string, () => Promise<Command.Class>>;
}

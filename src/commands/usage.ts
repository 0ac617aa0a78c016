/**
 * Usage errors as one short block: the problem, the command's usage line, and where the rest is.
 * oclif prints the whole help page after a parse error (about 50 lines for `submit`), which buries
 * the one line that says what is wrong. Every command extends NucleusCommand, which does this.
 */
import { Command } from '@oclif/core';
import { ExitCode } from './exit-codes.js';

/** An error of oclif's own (not an exit) thrown while the arguments were parsed: a usage error. */
function isParseError(error: unknown, parsed: boolean): error is Error {
  if (parsed || !(error instanceof Error)) return false;
  return (error as { oclif?: { exit?: number } }).oclif?.exit !== undefined && (error as { code?: string }).code !== 'EEXIT';
}

/** `nucleus submit TYPE [PAYLOAD] [FLAGS]` from the command's own definition. */
export function usageLine(bin: string, command: Pick<typeof Command, 'id' | 'args' | 'flags' | 'baseFlags'>): string {
  const args = Object.entries(command.args ?? {}).map(([name, arg]) => (arg.required ? name.toUpperCase() : `[${name.toUpperCase()}]`));
  const hasFlags = Object.keys({ ...command.baseFlags, ...command.flags }).length > 0;
  return [bin, command.id, ...args, ...(hasFlags ? ['[FLAGS]'] : [])].filter(Boolean).join(' ');
}

/** The problem in oclif's message on one line, without its "See more help" line. */
export function problemOf(message: string): string {
  const [first, ...rest] = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^See more help with/.test(line));
  // oclif lists arguments as "name  description": "type (Job type, e.g. ...)".
  const details = rest.map((line) => line.replace(/^(\S+)\s{2,}(.+)$/, '$1 ($2)'));
  return [first, ...details].join(' ').replace(/\s{2,}/g, ' ');
}

export abstract class NucleusCommand extends Command {
  /** Writes a parse error as three lines and sets the usage exit code; false for any other error. */
  protected reportUsageError(error: unknown): boolean {
    if (!isParseError(error, this.parsed)) return false;
    this.parsed = true; // it was tried; oclif would otherwise warn that the command never parsed
    const ctor = this.constructor as typeof Command;
    const bin = this.config.bin;
    process.stderr.write(`${bin}: ${problemOf(error.message)}\nUsage: ${usageLine(bin, ctor)}\nSee \`${bin} ${ctor.id} --help\` for every flag and argument.\n`);
    process.exitCode = ExitCode.Usage;
    return true;
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (this.reportUsageError(error)) return undefined;
    return super.catch(error);
  }
}

/**
 * What every client command shares: `--master`, `--timeout`, `--json`, and one way to report
 * errors: a single line on stderr (or a JSON document on stdout under --json) and an exit code
 * from exit-codes.ts. Never a stack trace for an error a person can act on.
 */
import { Command, Flags, type Interfaces } from '@oclif/core';
import { ErrorCode, toNucleusError, NucleusError } from '../errors.js';
import { resolveClientConfig, type ClientSecurityFlags } from '../config.js';
import { MasterClient } from '../rpc/client.js';
import { EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';
import { NucleusCommand, problemOf } from './usage.js';

/** How a client or worker reaches a master that asks for a token or serves TLS. */
export function securityFlags(helpGroup?: string) {
  return {
    token: Flags.string({ summary: 'Token the master asks for (a worker gives the worker token). Env: NUCLEUS_TOKEN. Default: none.', helpGroup }),
    'token-file': Flags.string({ summary: 'Read the token from this file instead (keeps it out of `ps`). Env: NUCLEUS_TOKEN_FILE.', helpGroup }),
    'tls-ca': Flags.string({ summary: "Connect with TLS, trusting this CA (PEM) for the master's certificate. Env: NUCLEUS_TLS_CA. Default: plaintext.", helpGroup }),
    'tls-cert': Flags.string({ summary: 'Client certificate (PEM) for a master that asks for one (mutual TLS). Env: NUCLEUS_TLS_CLIENT_CERT.', helpGroup }),
    'tls-key': Flags.string({ summary: 'Private key (PEM) of --tls-cert. Env: NUCLEUS_TLS_CLIENT_KEY.', helpGroup }),
  };
}

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof ClientCommand)['baseFlags'] & T['flags']>;

/** Writes an error the way every command does, and sets the exit code. */
export function reportError(command: Command, error: unknown, json: boolean): void {
  const e = toNucleusError(error);
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message } }, null, 2)}\n`);
  } else {
    process.stderr.write(`nucleus: ${e.message}\n`);
  }
  if (e.code === 'INTERNAL' && process.env.DEBUG) process.stderr.write(`${(e.cause as Error)?.stack ?? e.stack}\n`);
  process.exitCode = exitCodeFor(e);
  void command;
}

export abstract class ClientCommand extends NucleusCommand {
  static override baseFlags = {
    master: Flags.string({
      char: 'm',
      summary: 'Address of the master (host:port). Env: NUCLEUS_MASTER. Default: 127.0.0.1:50051.',
      helpGroup: 'GLOBAL',
    }),
    'rpc-timeout': Flags.string({
      summary: 'Deadline for each call to the master (e.g. 5s). Env: NUCLEUS_RPC_TIMEOUT. Default: 10s.',
      helpGroup: 'GLOBAL',
    }),
    json: Flags.boolean({ summary: 'Print one JSON document on stdout (errors too).', helpGroup: 'GLOBAL' }),
    ...securityFlags('GLOBAL'),
  };

  static override description = EXIT_CODES_HELP;

  private clientValue: MasterClient | null = null;
  protected jsonOutput = false;

  /** A client for the master named by --master / NUCLEUS_MASTER. */
  protected client(flags: { master?: string; 'rpc-timeout'?: string } & ClientSecurityFlags): MasterClient {
    const config = resolveClientConfig({ ...flags, master: flags.master, timeout: flags['rpc-timeout'] });
    this.clientValue ??= new MasterClient({ address: config.master, timeoutMs: config.timeoutMs, token: config.token, tls: config.tls });
    return this.clientValue;
  }

  /** Prints `value` as JSON under --json, else `text()`. */
  protected print(value: unknown, text: () => string): void {
    if (this.jsonOutput) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else process.stdout.write(`${text()}\n`);
  }

  /** A warning on stderr (also under --json, whose stdout stays one document); nothing when undefined. */
  protected warning(message: string | undefined): void {
    if (message !== undefined) process.stderr.write(`nucleus: warning: ${message}\n`);
  }

  override async init(): Promise<void> {
    this.jsonOutput = this.argv.includes('--json');
    await super.init();
  }

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (!(error instanceof NucleusError) && error.oclif?.exit !== undefined) {
      // oclif's own errors (a bad flag or argument) are usage errors; under --json they are JSON too.
      if (!this.jsonOutput || (error as { code?: string }).code === 'EEXIT') return super.catch(error);
      reportError(this, new NucleusError(ErrorCode.InvalidArgument, problemOf(error.message)), true);
      return undefined;
    }
    reportError(this, error, this.jsonOutput);
    return undefined;
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    this.clientValue?.close();
    return super.finally(error);
  }
}

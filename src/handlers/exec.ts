/**
 * The `exec` job type: runs a program, never through a shell, with the job's payload in a file.
 *
 * Safety: registered only when the worker opts in with `--allow-exec`, which also names the
 * programs that may run (`*` for any). Arguments are passed to the program as they are, so no
 * payload value is ever interpreted by a shell. Output is captured and capped.
 *
 * Payload: {"command": "ffmpeg", "args": ["-i", "in.mp4", "out.webm"], "env": {"K": "V"}, "cwd": "/data"}
 * The program sees NUCLEUS_PAYLOAD_FILE (the whole payload as JSON), NUCLEUS_JOB_ID and
 * NUCLEUS_ATTEMPT in its environment. Exit code 0 completes the job; any other is a retryable
 * error; a program that is not allowed fails the job without retry.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { parsePayload } from './builtin.js';
import { NonRetryableError, type Handler } from './handler.js';

/** Output kept per stream; the rest is dropped (the tail is kept). */
export const EXEC_OUTPUT_LIMIT = 1024 * 1024;
const KILL_GRACE_MS = 2000;

const execSchema = z.object({
  command: z.string().min(1).max(4096),
  args: z.array(z.string().max(65_536)).max(1024).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().max(4096).optional(),
});

class CappedOutput {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > EXEC_OUTPUT_LIMIT && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
      this.truncated = true;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    if (all.length > EXEC_OUTPUT_LIMIT) this.truncated = true;
    return all.subarray(Math.max(0, all.length - EXEC_OUTPUT_LIMIT)).toString('utf8');
  }
}

/** The exec handler, allowing only `allowed` programs (by name or path; `*` allows any). */
export function execHandler(allowed: readonly string[]): Handler {
  const any = allowed.includes('*');
  return async (payload, ctx) => {
    const spec = parsePayload(execSchema, payload, '{"command": string, "args": [string], "env": {string: string}, "cwd": string}');
    if (!any && !allowed.includes(spec.command) && !allowed.includes(basename(spec.command))) {
      throw new NonRetryableError(`payload.command: "${spec.command}" is not allowed on this worker (allowed: ${allowed.join(', ')})`);
    }
    const dir = await mkdtemp(join(tmpdir(), 'nucleus-exec-'));
    const payloadFile = join(dir, 'payload.json');
    await writeFile(payloadFile, JSON.stringify(payload));
    try {
      return await new Promise((resolve, reject) => {
        const child = spawn(spec.command, spec.args, {
          cwd: spec.cwd,
          env: { ...process.env, ...spec.env, NUCLEUS_PAYLOAD_FILE: payloadFile, NUCLEUS_JOB_ID: ctx.jobId, NUCLEUS_ATTEMPT: String(ctx.attempt) },
          stdio: ['ignore', 'pipe', 'pipe'],
          shell: false,
        });
        const stdout = new CappedOutput();
        const stderr = new CappedOutput();
        child.stdout.on('data', (c: Buffer) => stdout.push(c));
        child.stderr.on('data', (c: Buffer) => stderr.push(c));
        const onAbort = () => {
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
        };
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        child.on('error', (error: NodeJS.ErrnoException) => {
          ctx.signal.removeEventListener('abort', onAbort);
          if (error.code === 'ENOENT') reject(new NonRetryableError(`payload.command: "${spec.command}" was not found`));
          else reject(error);
        });
        child.on('close', (code, signal) => {
          ctx.signal.removeEventListener('abort', onAbort);
          const result = { exitCode: code, signal, stdout: stdout.text(), stderr: stderr.text(), truncated: stdout.truncated || stderr.truncated };
          if (code === 0) resolve(result);
          else {
            const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
            reject(new Error(`${spec.command} exited with ${signal ? `signal ${signal}` : `code ${code}`}${tail ? `: ${tail}` : ''}`));
          }
        });
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

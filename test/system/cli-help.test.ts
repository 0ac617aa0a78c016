/**
 * System test of help as a person asks for it, through the CLI as `npm link` installs it
 * (bin/run.js): `-h`, `nucleus help <command>`, "did you mean" for a mistyped command, and usage
 * errors as three lines (the problem, the usage line, where the help is), not the whole help page.
 * test/system/binary.test.ts checks the same in the single executable.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/process.js';

describe('system: help', () => {
  it.each([[['submit', '-h']], [['submit', '--help']], [['help', 'submit']]])('given %j, then the help of submit is shown, exit 0', async (args) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('$ nucleus submit TYPE [PAYLOAD]');
    expect(stdout).toContain('--wait-timeout');
  });

  it('given `nucleus help` or `nucleus -h`, then the list of commands is shown', async () => {
    for (const args of [['help'], ['-h']]) {
      const { code, stdout } = await runCli(args);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^ {2}submit /m);
      expect(stdout).toMatch(/^ {2}worker /m);
    }
  });

  it.each([
    ['sumbit', 'submit'],
    ['stauts', 'status'],
    ['wokrer', 'worker'],
  ])('given the mistyped command %s, then one line suggests %s, exit 2', async (typo, meant) => {
    const { code, stdout, stderr } = await runCli([typo, '1']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`nucleus: ${typo} is not a nucleus command; did you mean ${meant}? (\`nucleus --help\` lists them)\n`);
  });

  it('given a word far from every command, then it says so without a guess, exit 2', async () => {
    const { code, stderr } = await runCli(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toBe('nucleus: frobnicate is not a nucleus command (`nucleus --help` lists them)\n');
  });

  it.each([
    [['submit'], /^nucleus: Missing 1 required arg: type \(Job type/, 'nucleus submit TYPE [PAYLOAD] [FLAGS]'],
    [['submit', 'echo', '--bogus'], /^nucleus: Nonexistent flag: --bogus$/, 'nucleus submit TYPE [PAYLOAD] [FLAGS]'],
    [['status', '1', '2'], /^nucleus: Unexpected argument: 2$/, 'nucleus status ID [FLAGS]'],
    [['master', '--sync'], /^nucleus: Flag --sync expects one of these values: normal, full$/, 'nucleus master [FLAGS]'],
    [['worker', '--concurrency', 'x'], /^nucleus: .*--concurrency/, 'nucleus worker [FLAGS]'],
  ])('given the usage error %j, then three lines: the problem, the usage line and the help hint, exit 2', async (args, problem, usage) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines, stderr).toHaveLength(3);
    expect(lines[0]).toMatch(problem);
    expect(lines[1]).toBe(`Usage: ${usage}`);
    expect(lines[2]).toBe(`See \`nucleus ${args[0]} --help\` for every flag and argument.`);
  });

  it('given a usage error under --json, then one JSON document naming it, exit 2', async () => {
    const { code, stdout } = await runCli(['status', '--json']);
    expect(code).toBe(2);
    const { error } = JSON.parse(stdout);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/^Missing 1 required arg: id/);
    expect(error.message).not.toContain('See more help');
  });
});

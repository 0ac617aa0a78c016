/**
 * Podman for the container test, on a machine that reaches no image registry: the base images
 * the Dockerfile names are made here. A Debian 12 root made with `debootstrap --variant=minbase`
 * is imported as the runtime base, and the same plus the Node.js running the tests (and its npm)
 * as the build base. The debootstrap tarball is cached between runs in CONTAINER_CACHE
 * (NUCLEUS_TEST_CONTAINER_CACHE, default ~/.cache/nucleus/container-test); delete it to start
 * over. Podman runs every container with runc, the host's network and bounded ulimits, which is
 * what works where crun fails on the machine's cgroups. The build base trusts the certificate
 * authorities the host trusts (its CA bundle, copied in), so that npm in the build stage reaches
 * the registry wherever the host does, a TLS-inspecting proxy included.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const CONTAINER_CACHE = process.env.NUCLEUS_TEST_CONTAINER_CACHE ?? join(homedir(), '.cache', 'nucleus', 'container-test');
const DEBIAN_MIRROR = process.env.NUCLEUS_TEST_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
export const DEBIAN_IMAGE = 'localhost/nucleus-test-debian:bookworm';
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const hostCa = existsSync(HOST_CA_BUNDLE) ? readFileSync(HOST_CA_BUNDLE) : null;
/** Tagged by the Node version and the host's CA bundle, so that a change of either makes a new one. */
export const NODE_IMAGE = `localhost/nucleus-test-node:${process.versions.node}-${createHash('sha256').update(hostCa ?? '').digest('hex').slice(0, 8)}`;
/** Flags every container (and every build step) runs with. */
export const RUN_FLAGS = ['--network', 'host', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end (bounded); never throws for a non-zero exit. */
export function run(command: string, args: string[], timeoutMs = 120_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout = (stdout + c).slice(-200_000)));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-200_000)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `podman --runtime runc ...`, failing with its output when it fails. */
export async function podman(args: string[], timeoutMs = 120_000): Promise<Result> {
  const result = await run('podman', ['--runtime', 'runc', ...args], timeoutMs);
  if (result.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${result.code}\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
  return result;
}

const imageExists = async (name: string) => (await run('podman', ['image', 'exists', name])).code === 0;

/** The Debian 12 minbase root as a tarball in the cache, made with debootstrap when missing. */
async function debianTarball(): Promise<string> {
  const tarball = join(CONTAINER_CACHE, 'debian-bookworm-minbase.tar');
  if (existsSync(tarball)) return tarball;
  mkdirSync(CONTAINER_CACHE, { recursive: true });
  const root = mkdtempSync(join(CONTAINER_CACHE, 'rootfs-'));
  try {
    const made = await run('debootstrap', ['--variant=minbase', 'bookworm', root, DEBIAN_MIRROR], 900_000);
    if (made.code !== 0) throw new Error(`debootstrap failed (${made.code}):\n${made.stdout.slice(-3000)}\n${made.stderr.slice(-3000)}`);
    // The downloaded packages are not part of the image.
    rmSync(join(root, 'var', 'cache', 'apt', 'archives'), { recursive: true, force: true });
    mkdirSync(join(root, 'var', 'cache', 'apt', 'archives', 'partial'), { recursive: true });
    const partial = `${tarball}.${process.pid}.partial`;
    const packed = await run('tar', ['-C', root, '--numeric-owner', '-cf', partial, '.'], 300_000);
    if (packed.code !== 0) throw new Error(`tar failed: ${packed.stderr}`);
    renameSync(partial, tarball);
    return tarball;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Makes DEBIAN_IMAGE and NODE_IMAGE when podman does not have them. */
export async function ensureBaseImages(): Promise<void> {
  if (!(await imageExists(DEBIAN_IMAGE))) await podman(['import', await debianTarball(), DEBIAN_IMAGE], 300_000);
  if (await imageExists(NODE_IMAGE)) return;
  // The Node running the tests, with its npm, laid out as the official node images lay it out.
  const context = mkdtempSync(join(tmpdir(), 'nucleus-node-image-'));
  try {
    cpSync(process.execPath, join(context, 'node'));
    writeFileSync(join(context, 'ca.crt'), hostCa ?? '');
    cpSync(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'), join(context, 'npm'), { recursive: true, dereference: true });
    writeFileSync(
      join(context, 'Containerfile'),
      [
        `FROM ${DEBIAN_IMAGE}`,
        'COPY node /usr/local/bin/node',
        'COPY npm /usr/local/lib/node_modules/npm',
        'COPY ca.crt /usr/local/share/nucleus-test/ca.crt',
        ...(hostCa ? ['ENV NODE_EXTRA_CA_CERTS=/usr/local/share/nucleus-test/ca.crt NPM_CONFIG_CAFILE=/usr/local/share/nucleus-test/ca.crt'] : []),
        'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version',
        '',
      ].join('\n'),
    );
    await podman(['build', ...RUN_FLAGS, '-t', NODE_IMAGE, '-f', join(context, 'Containerfile'), context], 300_000);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

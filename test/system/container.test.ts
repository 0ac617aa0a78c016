/**
 * System test of the container image: the Dockerfile built with podman (from base images made
 * locally, see helpers/podman.ts), then a master and a worker run as two containers of it, a job
 * submitted from the host, run in the worker's container, and its result read by the image's own
 * CLI in a third container. Both containers then stop on SIGTERM with exit 0.
 *
 * Cold (no cached tarball, no podman layers) it takes several minutes: debootstrap, the build
 * stage's apt and npm installs, and compiling SQLite for the Node inside. Warm, podman reuses the
 * layers whose inputs did not change, and the test takes about a minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/cluster.js';
import { freePort, PROJECT_ROOT } from '../helpers/process.js';
import { DEBIAN_IMAGE, NODE_IMAGE, RUN_FLAGS, ensureBaseImages, podman, run } from '../helpers/podman.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

const IMAGE = 'localhost/nucleus-test:latest';
const NAME = `nucleus-test-${process.pid}`;
const containers: string[] = [];
let port: number;
let address: string;
let client: MasterClient;

/** Starts a detached container of the image running `args`. */
async function start(name: string, args: string[]): Promise<void> {
  await podman(['run', '-d', ...RUN_FLAGS, '--name', name, IMAGE, ...args]);
  containers.push(name);
}

const logs = async (name: string) => {
  const r = await run('podman', ['logs', name]);
  return `${r.stdout}${r.stderr}`;
};

beforeAll(async () => {
  await ensureBaseImages();
  const built = await podman(['build', ...RUN_FLAGS, '--build-arg', `NODE_IMAGE=${NODE_IMAGE}`, '--build-arg', `DEBIAN_IMAGE=${DEBIAN_IMAGE}`, '-t', IMAGE, '-f', 'Dockerfile', PROJECT_ROOT], 1_200_000);
  expect(built.stdout).toMatch(/STEP \d+\/\d+: ENTRYPOINT/);
  const version = await podman(['run', '--rm', ...RUN_FLAGS, IMAGE, '--version']);
  expect(version.stdout.trim()).toMatch(/^nucleus\/\d+\.\d+\.\d+ linux-x64 node-v24\./);
  port = await freePort();
  address = `127.0.0.1:${port}`;
  client = new MasterClient({ address, timeoutMs: 10_000 });
}, 1_500_000);

afterAll(async () => {
  client?.close();
  for (const name of containers) await run('podman', ['rm', '-f', '-v', name]);
}, 120_000);

describe('system: the container image, built by podman from the Dockerfile', () => {
  it('given the image, when a master and a worker run in two containers and a job is submitted, then the worker runs it and the image\'s CLI reads its result', async () => {
    // The image's defaults: store in /data (a volume), listening on every interface of the
    // container, which with the host's network means the host's; --host keeps it on loopback.
    await start(`${NAME}-master`, ['master', '--host', '127.0.0.1', '--port', String(port), '--http-port', '0']);
    const line = await waitFor(async () => /nucleus master listening: gRPC 127\.0\.0\.1:(\d+).*store \/data\/nucleus\.db/.exec(await logs(`${NAME}-master`)), 'the master in its container to listen', 60_000, 200);
    expect(Number(line[1])).toBe(port);
    await start(`${NAME}-worker`, ['worker', '--id', 'container-w1', '--master', address, '--concurrency', '2']);
    await waitFor(async () => (await client.call('getStats', {})).workers.some((w) => w.id === 'container-w1' && w.alive), 'the worker in its container to connect', 60_000, 200);

    const { jobId } = await client.call('submitJob', { job: { type: 'fibonacci', payload: Buffer.from('30'), contentType: 'application/json' } });
    await waitFor(async () => (await client.call('getJobStatus', { jobId })).job?.status === JobStatus.JOB_STATUS_COMPLETED, 'the job to complete', 60_000, 100);
    const status = await client.call('getJobStatus', { jobId });
    expect(status.job?.workerId).toBe('container-w1');

    const read = await run('podman', ['--runtime', 'runc', 'run', '--rm', ...RUN_FLAGS, IMAGE, 'result', String(jobId), '--master', address], 60_000);
    expect(read.code, read.stderr).toBe(0);
    // fibonacci answers with a JSON string (its values outgrow a double), printed as JSON.
    expect(read.stdout.trim()).toBe('"832040"');
  }, 240_000);

  it('given the running containers, when each gets SIGTERM, then the worker and the master stop in order and exit 0', async () => {
    for (const name of [`${NAME}-worker`, `${NAME}-master`]) {
      await podman(['stop', '--time', '30', name], 60_000);
      const { stdout } = await podman(['inspect', '--format', '{{.State.ExitCode}}', name]);
      expect(stdout.trim(), await logs(name)).toBe('0');
    }
  }, 120_000);
});

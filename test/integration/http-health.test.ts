/**
 * Health as load balancers and generic tools see it: /healthz and /readyz over HTTP, the standard
 * grpc.health.v1.Health service, and gRPC server reflection, against a real master.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { credentials, loadPackageDefinition, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { service as healthDefinition } from 'grpc-health-check';
import { waitFor, type TestCluster } from '../helpers/cluster.js';
import { api, startHttpCluster } from './http-helpers.js';

let cluster: (TestCluster & { base: string }) | null = null;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await cluster?.close();
  cluster = null;
});

type HealthClient = Client & {
  check(req: { service: string }, cb: (e: ServiceError | null, r: { status: string }) => void): void;
  watch(req: { service: string }): NodeJS.EventEmitter & { cancel(): void };
};

function healthClient(address: string): HealthClient {
  const Ctor = makeGenericClientConstructor(healthDefinition, 'grpc.health.v1.Health');
  const client = new Ctor(address, credentials.createInsecure()) as unknown as HealthClient;
  clients.push(client);
  return client;
}

const check = (client: HealthClient, service: string) =>
  new Promise<string>((resolve, reject) => client.check({ service }, (e, r) => (e ? reject(e) : resolve(r.status))));

describe('HTTP probes and gRPC health', () => {
  it('given a running master, when it is probed, then HTTP and gRPC say serving; after drain(), readyz is 503 and gRPC says NOT_SERVING', async () => {
    cluster = await startHttpCluster();
    const health = healthClient(cluster.address);

    const live = await api(cluster.base, 'GET', '/healthz');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'ok', state: 'running' });
    const ready = await api(cluster.base, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', state: 'running' });
    for (const service of ['', 'nucleus.v1.JobService', 'nucleus.v1.WorkerService']) expect(await check(health, service)).toBe('SERVING');
    await expect(check(health, 'no.such.Service')).rejects.toMatchObject({ code: 5 });

    const updates: string[] = [];
    const watch = health.watch({ service: '' });
    watch.on('data', (r: { status: string }) => updates.push(r.status));
    watch.on('error', () => undefined);
    await waitFor(() => updates[0] === 'SERVING', 'the first Watch answer');

    cluster.running.master.drain();

    const notReady = await api(cluster.base, 'GET', '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({ status: 'not ready', state: 'draining' });
    expect(notReady.body.reason).toContain('shutting down');
    const stillLive = await api(cluster.base, 'GET', '/healthz');
    expect(stillLive.status).toBe(200);
    expect(stillLive.body.state).toBe('draining');
    for (const service of ['', 'nucleus.v1.JobService', 'nucleus.v1.WorkerService']) expect(await check(health, service)).toBe('NOT_SERVING');
    await waitFor(() => updates.includes('NOT_SERVING'), 'Watch to report NOT_SERVING');
    expect(updates).toEqual(['SERVING', 'NOT_SERVING']);
    watch.cancel();
  });

  it('given a master whose HTTP port is taken, when it starts, then it fails with a message naming the port and the flag', async () => {
    cluster = await startHttpCluster();
    const { startCluster } = await import('../helpers/cluster.js');
    const { createHttpGateway } = await import('../../src/http/plugin.js');
    const port = cluster.running.httpPort;
    await expect(startCluster({ http: createHttpGateway({ port }) })).rejects.toThrow(new RegExp(`cannot listen for HTTP on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\).*--http-port`));
  });
});

describe('gRPC server reflection', () => {
  it('given a running master, when a generic client asks by reflection, then it lists the services and returns their descriptors', async () => {
    cluster = await startHttpCluster();
    const require = createRequire(import.meta.url);
    const reflectionProto = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
    const definition = loadSync(reflectionProto, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = loadPackageDefinition(definition) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client & { ServerReflectionInfo(): NodeJS.ReadWriteStream & { write(m: unknown): void; end(): void } } } } };
    };
    const client = new pkg.grpc.reflection.v1.ServerReflection(cluster.address, credentials.createInsecure());
    clients.push(client);
    const stream = client.ServerReflectionInfo();
    const answers: Array<Record<string, any>> = [];
    stream.on('data', (m: Record<string, any>) => answers.push(m));
    stream.on('error', () => undefined);
    stream.write({ list_services: '*' });
    stream.write({ file_containing_symbol: 'nucleus.v1.JobService' });
    stream.write({ file_containing_symbol: 'nucleus.v1.NoSuchThing' });
    await waitFor(() => answers.length === 3, 'three reflection answers');
    stream.end();

    const services = answers[0].list_services_response.service.map((s: { name: string }) => s.name);
    expect(services).toEqual(expect.arrayContaining(['nucleus.v1.JobService', 'nucleus.v1.WorkerService', 'grpc.health.v1.Health']));
    const files: Buffer[] = answers[1].file_descriptor_response.file_descriptor_proto;
    const text = Buffer.concat(files).toString('latin1');
    for (const name of ['JobService', 'SubmitJob', 'GetJobResult', 'WatchEvents']) expect(text).toContain(name);
    expect(answers[2].error_response.error_code).toBe(5);
  });
});

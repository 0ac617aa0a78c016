/**
 * TLS and mutual TLS over real gRPC and HTTPS. The certificates come from the README's test-CA
 * block, run as written (so the README's commands are tested too): one CA for the cluster and a
 * second, rogue CA that issues certificates for the same names. A peer trusting or presenting the
 * wrong CA fails the handshake, and the store shows nothing was written.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { startCluster, tempDir, waitFor, type TestCluster } from '../helpers/cluster.js';
import { PROJECT_ROOT } from '../helpers/process.js';
import { storeSnapshot } from '../chaos/store-snapshot.js';
import { createHttpGateway } from '../../src/http/plugin.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import { resolveMasterConfig, resolveClientConfig, resolveWorkerConfig, type MasterFlags } from '../../src/config.js';
import { startWorker } from '../../src/services/worker.js';
import { pino } from 'pino';
import type { ClientTlsFiles } from '../../src/rpc/tls.js';

const job = { type: 'echo', payload: Buffer.from('{"tls":true}') };
const dir = tempDir('nucleus-tls-');
const good = join(dir.path, 'good');
const rogue = join(dir.path, 'rogue');
const cert = (ca: string, name: string) => join(ca, 'certs', name);

/** The README's block between the test-ca markers. */
function readmeCaScript(): string {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const match = /<!-- test-ca:begin -->\s*```sh\n([\s\S]*?)```\s*<!-- test-ca:end -->/.exec(readme);
  if (!match) throw new Error('README.md has no test-ca block');
  return match[1];
}

beforeAll(() => {
  const script = readmeCaScript();
  for (const where of [good, rogue]) {
    mkdirSync(where);
    execFileSync('sh', ['-e', '-c', script], { cwd: where, stdio: 'pipe' });
  }
});
afterAll(() => dir.cleanup());

let cluster: (TestCluster & { host?: string }) | null = null;
const clients: MasterClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await cluster?.close();
  cluster = null;
});

const serverTls = (mutual: boolean): MasterFlags => ({
  'tls-cert': cert(good, 'master.crt'),
  'tls-key': cert(good, 'master.key'),
  ...(mutual ? { 'tls-client-ca': cert(good, 'ca.crt') } : {}),
});

async function tlsCluster(flags: MasterFlags): Promise<TestCluster & { host: string }> {
  cluster = await startCluster({ master: flags, http: createHttpGateway({ port: 0, processMetrics: false }) });
  return Object.assign(cluster, { host: `localhost:${cluster.running.grpcPort}` });
}

function client(tls: ClientTlsFiles | null): MasterClient {
  const c = new MasterClient({ address: cluster!.host!, timeoutMs: 3_000, tls });
  clients.push(c);
  return c;
}

const trusting = (ca: string, withCert?: string): ClientTlsFiles => ({
  caPath: cert(ca, 'ca.crt'),
  certPath: withCert ? cert(withCert, 'client.crt') : null,
  keyPath: withCert ? cert(withCert, 'client.key') : null,
});

async function refused(c: MasterClient): Promise<{ code: string; message: string }> {
  const error = await c.call('submitJob', { job }).then(
    () => null,
    (e: { code: string; message: string }) => e,
  );
  if (error === null) throw new Error('the call went through but should have failed the handshake');
  return error;
}

describe('tls: server certificate', () => {
  it('given a master with --tls-cert/--tls-key, when a client trusts its CA, then calls work; when it trusts another CA or speaks plaintext, then the call fails UNAVAILABLE and nothing is written', async () => {
    await tlsCluster(serverTls(false));
    const { jobId } = await client(trusting(good)).call('submitJob', { job });
    expect(jobId).toBe('1');
    const before = storeSnapshot(cluster!.dbPath);

    // Each failure says what is wrong and which flag fixes it, not OpenSSL's or grpc-js's words.
    const wrongCa = await refused(client(trusting(rogue)));
    expect(wrongCa.code).toBe('UNAVAILABLE');
    expect(wrongCa.message).toBe(`cannot reach the master at ${cluster!.host}: the master's certificate is not signed by the CA in --tls-ca; give the CA that signed it`);
    const plaintext = await refused(client(null));
    expect(plaintext.code).toBe('UNAVAILABLE');
    expect(plaintext.message).toMatch(/: the connection was dropped while it was being set up; if the master serves TLS, connect with --tls-ca/);
    expect(plaintext.message).not.toMatch(/Resolution note|SSL routines/);

    expect(storeSnapshot(cluster!.dbPath)).toEqual(before);
  });

  it('given a master with TLS, when the REST gateway is asked over HTTPS with the CA, then it answers; the certificate is the master\'s', async () => {
    await tlsCluster(serverTls(false));
    const reply = await new Promise<{ status: number; body: string; subject: string }>((resolve, reject) => {
      const req = request(
        { host: 'localhost', port: cluster!.running.httpPort, path: '/healthz', ca: readFileSync(cert(good, 'ca.crt')) },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, subject: String(peer.subject?.CN) }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 'ok' });
    expect(reply.subject).toBe('nucleus-master');
  });
});

describe('tls: what a failed handshake says', () => {
  it('given a plaintext master, when a client connects with --tls-ca, then it is told the master speaks plaintext', async () => {
    await tlsCluster({});
    const e = await refused(client(trusting(good)));
    expect(e.message).toBe(`cannot reach the master at ${cluster!.host}: the master speaks plaintext, not TLS; leave out --tls-ca (or start the master with --tls-cert and --tls-key)`);
  });

  it('given a TLS master reached by an address its certificate does not name, then the message names the certificate\'s addresses and the fix', async () => {
    await tlsCluster({ ...serverTls(false), host: '0.0.0.0' });
    const c = new MasterClient({ address: `127.0.0.2:${cluster!.running.grpcPort}`, timeoutMs: 3_000, tls: trusting(good) });
    clients.push(c);
    const e = await refused(c);
    expect(e.message).toBe(`cannot reach the master at 127.0.0.2:${cluster!.running.grpcPort}: the master's certificate is not valid for this name (it is for 127.0.0.1); give --master a name or address in its certificate, or add this one to its subjectAltName`);
  });
});

describe('tls: mutual TLS', () => {
  it('given --tls-client-ca, when a client shows no certificate or one from another CA, then the handshake fails and nothing is written; with one from the CA it works', async () => {
    await tlsCluster(serverTls(true));
    const before = storeSnapshot(cluster!.dbPath);

    const noCert = await refused(client(trusting(good)));
    expect(noCert.code).toBe('UNAVAILABLE');
    expect(noCert.message).toBe(`cannot reach the master at ${cluster!.host}: the master asks for a client certificate (mutual TLS); give --tls-cert and --tls-key (signed by the CA the master trusts)`);
    const otherCa = await refused(client(trusting(good, rogue)));
    expect(otherCa.code).toBe('UNAVAILABLE');
    expect(otherCa.message).toMatch(/: (the master does not trust this client certificate|the master ended the TLS handshake).*--tls-client-ca/);
    expect(storeSnapshot(cluster!.dbPath)).toEqual(before);

    const ok = client(trusting(good, good));
    const { jobId } = await ok.call('submitJob', { job });
    expect(storeSnapshot(cluster!.dbPath).jobs).toBe(before.jobs + 1);

    // A worker with a certificate from the CA connects and runs the job; one without stays out.
    await cluster!.addWorker({ id: 'no-cert', master: cluster!.host, 'tls-ca': cert(good, 'ca.crt') });
    await cluster!.addWorker({ id: 'with-cert', master: cluster!.host, 'tls-ca': cert(good, 'ca.crt'), 'tls-cert': cert(good, 'client.crt'), 'tls-key': cert(good, 'client.key') });
    const done = await waitFor(async () => {
      const { job: j } = await ok.call('getJobStatus', { jobId });
      return j?.status === JobStatus.JOB_STATUS_COMPLETED ? j : null;
    }, 'the job to complete on the worker with a certificate');
    expect(done.workerId).toBe('with-cert');
    expect((await ok.call('getStats', {})).workers.map((w) => w.id)).toEqual(['with-cert']);
  });

  it('given --tls-client-ca, when a worker without a certificate tries to connect, then it logs what is wrong and the flags that fix it', async () => {
    await tlsCluster(serverTls(true));
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const worker = await startWorker(resolveWorkerConfig({ id: 'no-cert-logged', master: cluster!.host, 'tls-ca': cert(good, 'ca.crt') }, {}), logger);
    try {
      const line = await waitFor(() => lines.find((l) => l.includes('lost the master')), 'the worker to log the failed handshake');
      expect(JSON.parse(line).reason).toBe('the master asks for a client certificate (mutual TLS); give --tls-cert and --tls-key (signed by the CA the master trusts)');
    } finally {
      await worker.stop(0);
    }
  });
});

describe('tls: configuration', () => {
  it('given TLS flags that do not fit together or files that are not there, then resolving or starting fails with one message naming the flag', async () => {
    expect(() => resolveMasterConfig({ 'tls-cert': cert(good, 'master.crt') }, {})).toThrow(/^--tls-key: is required with --tls-cert$/);
    expect(() => resolveMasterConfig({ 'tls-client-ca': cert(good, 'ca.crt') }, {})).toThrow(/^--tls-client-ca: needs --tls-cert and --tls-key/);
    expect(() => resolveClientConfig({ 'tls-cert': cert(good, 'client.crt') }, {})).toThrow(/^--tls-key: a client certificate needs both/);
    expect(resolveClientConfig({}, { NUCLEUS_TLS_CA: '/x/ca.crt' }).tls).toEqual({ caPath: '/x/ca.crt', certPath: null, keyPath: null });

    const missing = startCluster({ master: { 'tls-cert': join(dir.path, 'nope.crt'), 'tls-key': cert(good, 'master.key') } });
    await expect(missing).rejects.toThrow(/^--tls-cert: cannot read .*nope\.crt \(ENOENT\)$/);
    const notPem = startCluster({ master: { 'tls-cert': cert(good, 'master.ext'), 'tls-key': cert(good, 'master.key') } });
    await expect(notPem).rejects.toThrow(/^--tls-cert: .*master\.ext is not a PEM file/);
  });
});

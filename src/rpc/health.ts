/**
 * The standard gRPC health service (grpc.health.v1.Health), so that load balancers, Kubernetes
 * gRPC probes and grpc_health_probe can ask the master whether it serves.
 *
 * Answers follow the master's lifecycle: SERVING while running, NOT_SERVING otherwise (starting,
 * draining, stopped). The status is read from the master on every Check, so it is never stale;
 * Watch streams are re-evaluated every WATCH_EVERY_MS and sent a message only on a change.
 * Known services: "" (the whole server), nucleus.v1.JobService and nucleus.v1.WorkerService.
 */
import { status as GrpcStatus, type Server, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { service as healthServiceDefinition } from 'grpc-health-check';
import type { Master } from '../master/master.js';

export const HEALTH_SERVICES = ['', 'nucleus.v1.JobService', 'nucleus.v1.WorkerService'] as const;
const WATCH_EVERY_MS = 250;

type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthRequest {
  service: string;
}
interface HealthResponse {
  status: ServingStatus;
}

export function addHealthService(server: Server, master: Pick<Master, 'state'>): void {
  const statusOf = (service: string): ServingStatus | null => {
    if (!(HEALTH_SERVICES as readonly string[]).includes(service)) return null;
    return master.state === 'running' ? 'SERVING' : 'NOT_SERVING';
  };
  server.addService(healthServiceDefinition, {
    check(call: ServerUnaryCall<HealthRequest, HealthResponse>, callback: sendUnaryData<HealthResponse>) {
      const status = statusOf(call.request.service);
      if (status === null) callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service "${call.request.service}" (known: "", ${HEALTH_SERVICES.slice(1).join(', ')})` }, null);
      else callback(null, { status });
    },
    watch(call: ServerWritableStream<HealthRequest, HealthResponse>) {
      let last: ServingStatus | null = null;
      const tell = () => {
        const status = statusOf(call.request.service) ?? 'SERVICE_UNKNOWN';
        if (status === last) return;
        last = status;
        call.write({ status });
      };
      tell();
      const timer = setInterval(tell, WATCH_EVERY_MS);
      timer.unref();
      const close = () => clearInterval(timer);
      call.on('cancelled', close);
      call.on('close', close);
      call.on('error', close);
    },
    list(_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<{ statuses: Record<string, HealthResponse> }>) {
      callback(null, { statuses: Object.fromEntries(HEALTH_SERVICES.map((s) => [s, { status: statusOf(s)! }])) });
    },
  });
}

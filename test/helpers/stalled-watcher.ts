/**
 * A WatchEvents reader that stops reading: a raw HTTP/2 stream on its own connection, paused, so
 * that flow control really holds the master back (a grpc-js client would read on into its own
 * memory). `resume` reads again, to learn the status the master ended it with.
 */
import { connect } from 'node:http2';

export interface StalledWatcher {
  resume(): void;
  /** The gRPC status the stream ended with, once it has. */
  status(): { code: number; details: string } | null;
  /** Set when the connection is gone (the master closed it, or died). */
  closed(): boolean;
  close(): void;
}

export function stalledWatcher(address: string): StalledWatcher {
  const session = connect(`http://${address}`);
  session.on('error', () => undefined);
  const stream = session.request({ ':method': 'POST', ':path': '/nucleus.v1.JobService/WatchEvents', 'content-type': 'application/grpc', te: 'trailers' });
  stream.end(Buffer.alloc(5)); // one empty WatchEventsRequest: no compression flag, length 0
  stream.pause();
  let status: { code: number; details: string } | null = null;
  let closed = false;
  const take = (headers: Record<string, unknown>) => {
    if (headers['grpc-status'] !== undefined) status ??= { code: Number(headers['grpc-status']), details: decodeURIComponent(String(headers['grpc-message'] ?? '')) };
  };
  stream.on('response', take);
  stream.on('trailers', take);
  stream.on('error', () => undefined);
  session.on('close', () => (closed = true));
  return {
    resume: () => {
      stream.on('data', () => undefined);
      stream.resume();
    },
    status: () => status,
    closed: () => closed,
    close: () => session.destroy(),
  };
}

/**
 * Hostile bytes on the wire: a request that does not decode is a bad request, not a server fault.
 *
 * grpc-js answers a request whose deserializer throws with INTERNAL, which tells the caller that
 * the master is broken. Bytes that are not a valid message are the caller's fault (truncated or
 * garbage frames, wire types that do not exist, a 64-bit number past 2^53 that the generated code
 * refuses), so this module turns them into INVALID_ARGUMENT:
 * - `GuardedServer` wraps the deserializer of every method of every service added to it: a
 *   failure yields an `UndecodableRequest` marker instead of an exception;
 * - `decodeGuardInterceptor` ends the call with INVALID_ARGUMENT when such a marker arrives, before
 *   any handler sees it. Nothing is read further and nothing is written.
 */
import {
  Metadata,
  ResponderBuilder,
  Server,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status as GrpcStatus,
  type ServerInterceptor,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';

/** What a method's deserializer yields for bytes that are not its message. */
export class UndecodableRequest {
  constructor(
    readonly method: string,
    readonly reason: string,
  ) {}
}

/** The same service with deserializers that never throw. */
export function guardDecoding<T extends ServiceDefinition>(service: T): T {
  const guarded: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    guarded[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (error) {
          return new UndecodableRequest(method.path, error instanceof Error ? error.message : String(error));
        }
      },
    };
  }
  return guarded as T;
}

/** A grpc-js Server whose services all decode through `guardDecoding`. */
export class GuardedServer extends Server {
  override addService(service: ServiceDefinition, implementation: UntypedServiceImplementation): void {
    super.addService(guardDecoding(service), implementation);
  }
}

/** Ends a call with INVALID_ARGUMENT when a message of it did not decode. */
export function decodeGuardInterceptor(): ServerInterceptor {
  return (_method, call) => {
    const listener = new ServerListenerBuilder()
      .withOnReceiveMessage((message, next) => {
        if (!(message instanceof UndecodableRequest)) return next(message);
        call.sendStatus({
          code: GrpcStatus.INVALID_ARGUMENT,
          details: `request to ${message.method} is not a valid protobuf message (${message.reason})`,
          metadata: new Metadata(),
        });
      })
      .build();
    return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

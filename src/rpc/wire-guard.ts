/**
 * Hostile bytes on the wire: a request that does not decode is a bad request, not a server fault.
 *
 * grpc-js answers a request whose deserializer throws with INTERNAL, which tells the caller that
 * the master is broken. Bytes that are not a valid message are the caller's fault (truncated or
 * garbage frames, wire types that do not exist, a 64-bit number past 2^53 that the generated code
 * refuses), so this module turns them into INVALID_ARGUMENT:
 * - `GuardedServer` wraps the deserializer of every method of every service added to it: a
 *   failure yields an `UndecodableRequest` marker instead of an exception;
 * - `decodeGuardInterceptor` ends a unary call with INVALID_ARGUMENT when such a marker arrives,
 *   before any handler sees it; a streaming handler gets the marker and ends its stream the same
 *   way. Nothing is read further and nothing is written.
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

/** What to tell the caller about an undecodable message. */
export const undecodableDetails = (message: UndecodableRequest): string =>
  `request to ${message.method} is not a valid protobuf message (${message.reason})`;

/**
 * Ends a unary or server-streaming call with INVALID_ARGUMENT when its request did not decode.
 * Methods with a request stream get the marker as a message and refuse it themselves: their
 * handler may still be writing answers to earlier messages, and only it can stop those before
 * the status goes out (a status sent from here would race them).
 */
export function decodeGuardInterceptor(): ServerInterceptor {
  return (method, call) => {
    if (method.requestStream) return new ServerInterceptingCall(call);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMessage((message, next) => {
        if (!(message instanceof UndecodableRequest)) return next(message);
        call.sendStatus({ code: GrpcStatus.INVALID_ARGUMENT, details: undecodableDetails(message), metadata: new Metadata() });
      })
      .build();
    return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

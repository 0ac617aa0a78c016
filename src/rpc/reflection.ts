/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha), so that generic tools (grpcurl,
 * grpcui, Postman) can list the master's services and call them without the .proto files.
 *
 * The descriptors come from the wire contract itself, proto/nucleus/v1/*.proto, shipped next to
 * the code, plus the standard health service. When the proto directory is missing (an unusual
 * packaging), reflection is left out with a warning: the services themselves do not need it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { Server } from '@grpc/grpc-js';
import type { Logger } from '../log.js';

/** The contract's files, relative to the proto directory. */
export const NUCLEUS_PROTO_FILES = ['nucleus/v1/jobs.proto', 'nucleus/v1/worker.proto'];

/** proto/ at the package root: two levels up from both src/rpc and dist/rpc. */
export function protoDirectory(): string {
  return fileURLToPath(new URL('../../proto/', import.meta.url));
}

let cached: ReflectionService | null = null;
let embeddedContract: (() => PackageDefinition) | null = null;

/**
 * Supplies the contract without the proto directory: the single-file build embeds it, compiled
 * at build time from the same files, because nothing is installed next to its code.
 */
export function setEmbeddedContract(load: (() => PackageDefinition) | null): void {
  embeddedContract = load;
}

/** The contract and the health service as one package definition (one call, easy to swap for an embedded copy). */
function loadContract(protoDir: string): PackageDefinition {
  return loadSync([...NUCLEUS_PROTO_FILES, healthProtoPath], { includeDirs: [protoDir], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
}

export function addReflectionService(server: Server, logger: Logger, protoDir = protoDirectory()): boolean {
  if (!cached && embeddedContract) cached = new ReflectionService(embeddedContract());
  if (!cached) {
    if (!NUCLEUS_PROTO_FILES.every((file) => existsSync(`${protoDir}/${file}`))) {
      logger.warn({ protoDir }, 'gRPC reflection disabled: the .proto files are not installed next to the code');
      return false;
    }
    // Parsing the contract takes tens of ms; it never changes within a process, so do it once.
    try {
      cached = new ReflectionService(loadContract(protoDir));
    } catch (error) {
      logger.warn({ err: error, protoDir }, 'gRPC reflection disabled: the .proto files could not be parsed');
      return false;
    }
  }
  cached.addToServer(server);
  return true;
}

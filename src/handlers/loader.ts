/**
 * Loads a user's handler module: an ES module (or CommonJS) whose exports, default or named,
 * map job types to async functions `(payload, ctx) => result`.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { invalidArgument } from '../errors.js';
import { nameSchema } from '../core/validation.js';
import type { HandlerMap } from './handler.js';
import { isDefinedHandler } from '../lib/define-handler.js';

let importModule = (url: string): Promise<unknown> => import(url);

/**
 * Replaces how a module URL is imported. The single-file build needs this: its main script is
 * not an ES module and has no `import()` of its own, so it supplies one bound to Node's loader.
 */
export function setModuleImporter(importer: (url: string) => Promise<unknown>): void {
  importModule = importer;
}

export async function loadHandlerModule(path: string): Promise<HandlerMap> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw invalidArgument('--handlers', `${path} does not exist`);
  let module: Record<string, unknown>;
  try {
    module = (await importModule(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw invalidArgument('--handlers', `cannot load ${path}: ${(error as Error).message}`);
  }
  const exported = (module.default && typeof module.default === 'object' ? module.default : module) as Record<string, unknown>;
  const handlers: HandlerMap = {};
  for (const [name, fn] of Object.entries(exported)) {
    if (typeof fn !== 'function') continue;
    // A handler made by defineHandler serves its own type, whatever name it is exported under.
    const type = isDefinedHandler(fn) ? fn.type : name;
    if (!nameSchema.safeParse(type).success) throw invalidArgument('--handlers', `${path} exports "${type}", which is not a valid job type name`);
    handlers[type] = fn as HandlerMap[string];
  }
  if (Object.keys(handlers).length === 0) {
    throw invalidArgument('--handlers', `${path} exports no handler functions (export { myType: async (payload, ctx) => result })`);
  }
  return handlers;
}

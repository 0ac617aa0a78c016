/**
 * `import()` for the single executable. Its main script is compiled without a module loader, so a
 * plain `import()` there fails with ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING. A tiny script compiled
 * with `USE_MAIN_CONTEXT_DEFAULT_LOADER` borrows Node's own ES module loader, which handles ES
 * modules and CommonJS files alike, so a user's handler module loads as it would under `node`.
 */
import vm from 'node:vm';
import module from 'node:module';

export type ModuleImporter = (url: string) => Promise<unknown>;

/** Runs `fn` without Node printing the experimental-feature warning about `vm`'s default loader. */
function withoutLoaderWarning<T>(fn: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return fn();
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** An importer bound to the main context's ES module loader. */
export function mainContextImporter(): ModuleImporter {
  let importer: ModuleImporter | null = null;
  return (url) => {
    importer ??= withoutLoaderWarning(() => {
      const script = new vm.Script('(url) => import(url)', {
        filename: 'nucleus-module-importer.js',
        importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      });
      return script.runInThisContext() as ModuleImporter;
    });
    return withoutLoaderWarning(() => importer!(url));
  };
}

/**
 * Lets handler modules loaded by the executable `import ... from 'nucleus'` although no package
 * is installed: the specifier resolves to `source` (the handler-side API). Needs
 * module.registerHooks (Node 22.15 and later, as the executable's Node is); without it, nothing.
 */
export function provideHandlerApi(source: string): void {
  const registerHooks = (module as unknown as { registerHooks?: (hooks: object) => void }).registerHooks;
  if (typeof registerHooks !== 'function') return;
  registerHooks({
    resolve: (specifier: string, context: unknown, next: (s: string, c: unknown) => unknown) =>
      specifier === 'nucleus' ? { url: 'nucleus:handler-api', shortCircuit: true } : next(specifier, context),
    load: (url: string, context: unknown, next: (u: string, c: unknown) => unknown) =>
      url === 'nucleus:handler-api' ? { format: 'module', source, shortCircuit: true } : next(url, context),
  });
}

/**
 * oclif, started from the bundled `COMMANDS` map. Normally oclif reads package.json, looks for
 * oclif.manifest.json and imports the command index from disk; inside the single executable none
 * of those files exist. So the root plugin is built here from the package metadata the bundler
 * embedded, with its command map filled in before it loads, and handed to oclif as a ready plugin.
 */
import { Plugin, type Command, type Interfaces } from '@oclif/core';

/** The parts of package.json oclif needs: name, version and the `oclif` section. */
export interface BundledPackage {
  name: string;
  version: string;
  oclif: Interfaces.OclifConfiguration;
}

/**
 * Load options for `execute({ loadOptions })`: a root plugin whose commands come from `commands`.
 * `root` stands in for the package directory; nothing is read from it.
 */
export async function bundledLoadOptions(
  pkg: BundledPackage,
  commands: Record<string, Command.Class>,
  root: string,
): Promise<Interfaces.LoadOptions> {
  const pjson: Interfaces.PJSON = { name: pkg.name, version: pkg.version, oclif: pkg.oclif };
  const plugin = new Plugin({ isRoot: true, root, pjson, ignoreManifest: true, type: 'core' });
  // oclif's explicit strategy imports the target module only when this cache is empty; filling
  // it is what keeps every file read out of start-up.
  (plugin as unknown as { commandCache: Record<string, Command.Class> }).commandCache = commands;
  await plugin.load();
  return { root, pjson, plugins: new Map([[plugin.name, plugin]]), devPlugins: false, userPlugins: false };
}

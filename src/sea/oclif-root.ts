/**
 * oclif, started from commands bundled into the executable. Normally oclif reads package.json,
 * reads oclif.manifest.json and imports the command index from disk; inside the single executable
 * none of those files exist. So the root plugin is built here from what the bundler embedded: the
 * package metadata, the manifest computed at build time, and one loader per command, so that a
 * command's code is evaluated only when that command runs (and `--help` evaluates none).
 */
import { Plugin, type Command, type Interfaces } from '@oclif/core';

/** The parts of package.json oclif needs: name, version and the `oclif` section. */
export interface BundledPackage {
  name: string;
  version: string;
  oclif: Interfaces.OclifConfiguration;
}

/** The commands as the bundler embedded them. */
export interface BundledCommands {
  /** oclif's manifest of every command (what `--help` shows). */
  manifest: Interfaces.Manifest;
  /** Per command id, a loader of its class. */
  loaders: Record<string, () => Promise<Command.Class>>;
  /** Runs once before the first command class is loaded; for wiring that commands rely on. */
  beforeLoad?: () => Promise<void>;
}

/**
 * Load options for `execute({ loadOptions })`: a root plugin whose commands come from `commands`.
 * `root` stands in for the package directory; nothing is read from it.
 */
export async function bundledLoadOptions(pkg: BundledPackage, commands: BundledCommands, root: string): Promise<Interfaces.LoadOptions> {
  const pjson: Interfaces.PJSON = { name: pkg.name, version: pkg.version, oclif: pkg.oclif };
  const plugin = new Plugin({ isRoot: true, root, pjson, ignoreManifest: true, type: 'core' });
  // oclif's explicit strategy imports its target module only when this cache is empty. Empty
  // but present, the plugin loads without reading anything; its commands are filled in below.
  (plugin as unknown as { commandCache: Record<string, Command.Class> }).commandCache = {};
  await plugin.load();
  let wired: Promise<void> | null = null;
  const load = async (id: string): Promise<Command.Class> => {
    wired ??= commands.beforeLoad?.() ?? Promise.resolve();
    await wired;
    const loader = commands.loaders[id];
    if (!loader) throw new Error(`command ${id} is in the manifest but has no loader`);
    const command = await loader();
    // What oclif's own loader sets on a command class it found.
    command.id = id;
    command.plugin = plugin;
    return command;
  };
  plugin.manifest = commands.manifest;
  plugin.commandIDs = Object.keys(commands.manifest.commands);
  plugin.commands = Object.entries(commands.manifest.commands)
    .map(([id, cached]) => ({ ...cached, pluginAlias: plugin.alias, pluginType: plugin.type, load: () => load(id) }))
    .sort((a, b) => a.id.localeCompare(b.id));
  return { root, pjson, plugins: new Map([[plugin.name, plugin]]), devPlugins: false, userPlugins: false };
}

import { readFileSync } from 'node:fs';
import { type CommandSpec, EXIT } from '../../../core/index.js';

export function packageVersion(): string {
  // dist/daemon/cli/commands -> package.json is 4 levels up when built, 3 from sources.
  for (const candidate of [new URL('../../../../package.json', import.meta.url), new URL('../../../package.json', import.meta.url)]) {
    try {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'chainwatch' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}

export const versionCommand: CommandSpec = {
  name: 'version',
  summary: 'Print the chainwatch version',
  json: true,
  async run(inv) {
    inv.io.out(inv.json ? JSON.stringify({ chainwatch: packageVersion(), node: process.version }) : `chainwatch ${packageVersion()} (node ${process.version})`);
    return EXIT.ok;
  },
};

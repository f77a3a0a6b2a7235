import { readFileSync } from 'node:fs';
import { type Command, EXIT } from '../command.js';

export function packageVersion(): string {
  const url = new URL('../../../../package.json', import.meta.url);
  // dist/daemon/cli/commands -> package.json is 4 levels up when built, 3 from sources.
  for (const candidate of [url, new URL('../../../package.json', import.meta.url)]) {
    try {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'chainwatch' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the chainwatch version',
  usage: 'chainwatch version',
  async run(_args, io) {
    io.stdout.write(`chainwatch ${packageVersion()} (node ${process.version})\n`);
    return EXIT.ok;
  },
};

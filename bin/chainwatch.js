#!/usr/bin/env node
// chainwatch CLI launcher: runs the compiled TypeScript in dist/ (built by scripts/setup.sh or `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`chainwatch needs Node.js >= 22 (this is ${process.version}); run scripts/setup.sh and use scripts/env.sh\n`);
  process.exit(2);
}
const entry = fileURLToPath(new URL('../dist/daemon/cli/main.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('chainwatch is not built: run `bash scripts/setup.sh` (or `npm run build`)\n');
  process.exit(2);
}
const { main } = await import('../dist/daemon/cli/main.js');
const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
// Exit explicitly: client libraries (Kafka, HTTP agents) may keep handles open after a command finished.
process.exit(typeof code === 'number' ? code : 0);

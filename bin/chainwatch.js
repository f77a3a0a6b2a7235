#!/usr/bin/env node
// chainwatch CLI launcher: runs the compiled TypeScript in dist/ (built by scripts/setup.sh or `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`chainwatch needs Node.js >= 22 (this is ${process.version}); run scripts/setup.sh and use scripts/env.sh\n`);
  process.exit(2);
}
// The daemon caps V8's young generation at 8 MiB semi-spaces. Left alone, V8 grows it while the
// daemon loads (nearly everything allocated then survives) and keeps it: 64 MiB committed instead of 16
// here, ~12-15 MiB more idle RSS, for no measured throughput (docs/benchmarks-bus-embedded.md).
// The flag must be on node's command line, so `run` re-executes itself in place (same pid, stdio and
// environment); a --max-semi-space-size of your own (node flag or NODE_OPTIONS) is left as it is, and
// where execve is unavailable or fails the daemon runs without the cap.
const SEMI_SPACE = /--max[-_]semi[-_]space[-_]size/;
if (
  process.argv[2] === 'run' &&
  typeof process.execve === 'function' &&
  !process.execArgv.some((a) => SEMI_SPACE.test(a)) &&
  !SEMI_SPACE.test(process.env.NODE_OPTIONS ?? '')
) {
  try {
    process.execve(
      process.execPath,
      [process.execPath, '--max-semi-space-size=8', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
      process.env,
    );
  } catch {
    // e.g. ERR_FEATURE_UNAVAILABLE_ON_PLATFORM (Windows): run as is
  }
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

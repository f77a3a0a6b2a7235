/**
 * certspotter 0.16 (Debian's package; the Go module proxy refuses it) as the CT bench's baseline:
 * obtained without root by apt-get download + dpkg -x into the cache (as scripts/services/softhsm.sh
 * does), RFC 6962 only, run from index 0 on a fresh state directory with a watchlist that matches
 * nothing, GOMAXPROCS=1. Timed from spawn until it logs that it finished downloading [0, size).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { procUsage } from './machine.js';

export function certspotterBin(): string {
  const cache = join(process.env.CHAINWATCH_CACHE ?? join(homedir(), '.cache', 'chainwatch'), 'certspotter');
  const bin = join(cache, 'root', 'usr', 'bin', 'certspotter');
  if (existsSync(bin)) return bin;
  mkdirSync(cache, { recursive: true });
  execFileSync('apt-get', ['download', 'certspotter'], { cwd: cache, stdio: ['ignore', 'ignore', 'inherit'] });
  const deb = readdirSync(cache).find((f) => f.startsWith('certspotter_') && f.endsWith('.deb'));
  if (!deb) throw new Error('apt-get download certspotter left no .deb');
  execFileSync('dpkg', ['-x', join(cache, deb), join(cache, 'root')]);
  return bin;
}

/** One certspotter catch-up of [0, size): entries/s, CPU µs per entry, peak RSS MiB. */
export async function certspotter(bin: string, url: string, keyDer: Buffer, size: number, batch: number): Promise<{ rate: number; cpu: number; rss: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-certspotter-'));
  const list = {
    version: '3.0',
    operators: [
      {
        name: 'bench',
        email: ['bench@example.com'],
        logs: [
          {
            description: 'bench',
            log_id: createHash('sha256').update(keyDer).digest('base64'),
            key: keyDer.toString('base64'),
            url,
            mmd: 86400,
            state: { usable: { timestamp: '2026-01-01T00:00:00Z' } },
          },
        ],
      },
    ],
  };
  writeFileSync(join(dir, 'list.json'), JSON.stringify(list));
  writeFileSync(join(dir, 'watch'), 'nothing.matches.example\n');
  const args = ['-logs', join(dir, 'list.json'), '-state_dir', join(dir, 'state'), '-watchlist', join(dir, 'watch')];
  const start = performance.now();
  const child = spawn(bin, [...args, '-no_save', '-stdout', '-verbose', '-batch_size', String(batch)], {
    env: { ...process.env, GOMAXPROCS: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  let ranged = false;
  const finished = new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      // Only a tail is kept (its -verbose output grows with the backlog): "downloading entries ...
      // in range [0, N)", then "finished downloading entries": the whole backlog is done.
      err = (err + d.toString()).slice(-8192);
      if (!ranged && err.includes(`in range [0, ${size})`)) {
        ranged = true;
        err = err.slice(err.indexOf(`in range [0, ${size})`));
      }
      if (ranged && err.includes('finished downloading entries')) resolve(performance.now());
    });
    child.on('exit', () => reject(new Error(`certspotter exited early: ${err.slice(-2000)}`)));
  });
  const end = await finished;
  const u = procUsage(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return { rate: size / ((end - start) / 1000), cpu: u.cpuUs / size, rss: u.hwmKiB / 1024 };
}

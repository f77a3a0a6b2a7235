/** Facts about the machine and the tree a run happened on, recorded with every result. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import type { Machine } from './result.js';

export type Load = [number, number, number];

export function loadNow(): Load {
  const [a = 0, b = 0, c = 0] = loadavg();
  return [a, b, c].map((x) => Math.round(x * 100) / 100) as Load;
}

export function machineFacts(loadStart: Load, loadEnd: Load): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()} ${process.arch}`,
    node: process.version,
    loadStart,
    loadEnd,
  };
}

/**
 * Short commit of the tree at `dir`, with "+dirty" when tracked files differ from it. The results
 * and the page generated from them are left out: a run rewrites them.
 */
export function commitOf(dir: string): string {
  const git = (...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
  try {
    const head = git('rev-parse', '--short=7', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/results', ':!docs/benchmarks.md');
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** Clock ticks (10 ms) of utime + stime and the peak RSS (KiB) of a live process, from /proc. */
export function procUsage(pid: number): { cpuUs: number; hwmKiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { cpuUs: (Number(stat[11]) + Number(stat[12])) * 10_000, hwmKiB: Number(/VmHWM:\s+(\d+)/.exec(status)![1]) };
}

/**
 * A real full disk for the durability drills (issue 8 item 7): a small tmpfs, mounted for the
 * test and removed after it. Needs root (CI runs the tests as root); elsewhere the caller skips
 * with the reason this returns.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Changes the size in place (files stay): shrink to fill the disk, grow to give space back. */
  resize(bytes: number): void;
  remove(): void;
}

/** Mounts a tmpfs of `bytes`, or returns why it cannot (not root, no mount). */
export function mountTmpfs(bytes: number): Tmpfs | string {
  if (process.getuid?.() !== 0) return 'SKIP: mounting a tmpfs needs root (CI runs as root)';
  const dir = mkdtempSync(join(tmpdir(), 'cw-fulldisk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `SKIP: cannot mount a tmpfs here (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
  return {
    dir,
    resize: (n) => execFileSync('mount', ['-o', `remount,size=${n}`, dir], { stdio: 'pipe' }),
    remove: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

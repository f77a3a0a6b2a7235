/**
 * A real full disk for the durability drills (issue 8 item 7): a small tmpfs, mounted for the
 * test and removed after it. Needs root (CI runs the tests as root); elsewhere the caller skips
 * with the reason this returns.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Changes the size in place (files stay): shrink to fill the disk, grow to give space back. */
  resize(bytes: number): void;
  /**
   * Fills the disk to the last byte with a ballast file, so every store on it is full at once
   * without changing its size (a remount below the used size is refused); free() deletes it.
   */
  fill(): void;
  free(): void;
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
  const ballast = join(dir, '.ballast');
  return {
    dir,
    resize: (n) => execFileSync('mount', ['-o', `remount,size=${n}`, dir], { stdio: 'pipe' }),
    fill: () => fillFile(ballast),
    free: () => rmSync(ballast, { force: true }),
    remove: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Appends to `file` until the filesystem refuses with ENOSPC, down to single bytes. */
function fillFile(file: string): void {
  const fd = openSync(file, 'a');
  try {
    for (let chunk = 1024 * 1024; chunk >= 1; chunk = Math.floor(chunk / 2)) {
      const buf = Buffer.alloc(chunk, 0x2e);
      for (;;) {
        try {
          writeSync(fd, buf);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

import { type Stats, unwatchFile, watchFile } from 'node:fs';

/**
 * Polls a set of files (stat, not inotify: an editor's or a sync tool's write-then-rename replaces
 * the inode, which fs.watch loses) and calls `changed` when one's size, mtime or inode moves, or it
 * appears or disappears. The daemon watches the files modules plan from (a CT log list).
 */
export class FileWatcher {
  /** Each file with this watcher's own listener: two watchers of one file never unwatch each other. */
  private files = new Map<string, (cur: Stats, prev: Stats) => void>();

  constructor(
    private readonly changed: (path: string) => void,
    private readonly intervalMs = 1000,
  ) {}

  /** Watches exactly these files from now on. */
  set(paths: readonly string[]): void {
    const next = new Set(paths);
    for (const [p, listener] of this.files) {
      if (next.has(p)) continue;
      unwatchFile(p, listener);
      this.files.delete(p);
    }
    for (const p of next) {
      if (this.files.has(p)) continue;
      const listener = (cur: Stats, prev: Stats) => {
        if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) this.changed(p);
      };
      watchFile(p, { interval: this.intervalMs, persistent: false }, listener);
      this.files.set(p, listener);
    }
  }

  close(): void {
    this.set([]);
  }
}

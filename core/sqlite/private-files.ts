import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The one place chainwatch creates what lives in its data directory: owner-only by default
 * (directories 0700, files 0600). The data holds audit payloads, alert outboxes and cursors that
 * other local users have no business reading. Only what we create is restricted: a directory the
 * operator made (e.g. systemd's StateDirectory with its own mode) keeps the mode it was given.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` and any missing parents, each 0700 (a umask may strip more, never add). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Opens `path` (creating it 0600 and its directory 0700 when missing) with node:fs flags; returns the fd. */
export function openPrivateFile(path: string, flags: string): number {
  ensurePrivateDir(dirname(path));
  return openSync(path, flags, PRIVATE_FILE_MODE);
}

/**
 * Creates an empty file 0600 unless it exists. SQLite gives a database's -wal, -shm and journal
 * files the mode of the database file itself, so creating the database this way first makes the
 * whole set owner-only.
 */
export function touchPrivateFile(path: string): void {
  closeSync(openPrivateFile(path, 'a'));
}

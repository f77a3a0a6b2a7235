import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Power-loss simulation for SQLite files in WAL mode (test twin; never imported by production code).
 *
 * A WAL file is a 32-byte header followed by frames of a 24-byte header and one page. Without
 * fsync the kernel may write its pages to disk in any order, so power loss can leave any subset
 * of the unsynced frames; each frame's checksum chains over all before it (and carries the
 * header's salts), so recovery stops at the first frame that is missing or torn. Every outcome
 * is therefore equivalent to the WAL cut at one frame boundary: `cuts()` lists them all, and
 * `withHole()` lets a test check that equivalence on a real file.
 */
export interface DiskImage {
  /** Path the image was taken from. */
  readonly path: string;
  readonly main: Buffer;
  /** The -wal file's bytes (empty when there is none). */
  readonly wal: Buffer;
}

export const WAL_HEADER_BYTES = 32;
export const WAL_FRAME_HEADER_BYTES = 24;

/**
 * The database file and its -wal as they are on disk right now, without a checkpoint. Take it
 * while the connections are still open: closing the last one checkpoints and deletes the WAL.
 */
export function diskImage(path: string): DiskImage {
  const wal = `${path}-wal`;
  return { path, main: readFileSync(path), wal: existsSync(wal) ? readFileSync(wal) : Buffer.alloc(0) };
}

/** Page size recorded in the WAL header (big-endian u32 at byte 8). */
export function walPageSize(wal: Buffer): number {
  return wal.readUInt32BE(8);
}

/** Number of whole frames in the WAL. */
export function walFrames(wal: Buffer): number {
  if (wal.length < WAL_HEADER_BYTES) return 0;
  return Math.floor((wal.length - WAL_HEADER_BYTES) / (WAL_FRAME_HEADER_BYTES + walPageSize(wal)));
}

/** Every length the WAL can have after power loss: none, the header alone, then after each whole frame. */
export function cuts(image: DiskImage): number[] {
  if (image.wal.length < WAL_HEADER_BYTES) return [0];
  const frame = WAL_FRAME_HEADER_BYTES + walPageSize(image.wal);
  return [0, ...Array.from({ length: walFrames(image.wal) + 1 }, (_, k) => WAL_HEADER_BYTES + k * frame)];
}

/** The WAL with frame `k` (0-based) lost (zeroed) while every later frame reached the disk. */
export function withHole(image: DiskImage, k: number): DiskImage {
  const frame = WAL_FRAME_HEADER_BYTES + walPageSize(image.wal);
  const wal = Buffer.from(image.wal);
  wal.fill(0, WAL_HEADER_BYTES + k * frame, WAL_HEADER_BYTES + (k + 1) * frame);
  return { ...image, wal };
}

/** Writes the image to `path` (and `path`-wal) with the WAL cut to `walBytes`; no -shm, as after a reboot. */
export function restore(image: DiskImage, walBytes: number, path: string): void {
  for (const suffix of ['-wal', '-shm']) rmSync(path + suffix, { force: true });
  writeFileSync(path, image.main);
  if (walBytes > 0) writeFileSync(`${path}-wal`, image.wal.subarray(0, walBytes));
}

/** Every combination of cuts of several files that lose power together but sync independently. */
export function* outcomes(images: readonly DiskImage[]): Generator<number[]> {
  const lists = images.map(cuts);
  const pick: number[] = [];
  function* walk(i: number): Generator<number[]> {
    if (i === lists.length) {
      yield [...pick];
      return;
    }
    for (const c of lists[i]!) {
      pick[i] = c;
      yield* walk(i + 1);
    }
  }
  yield* walk(0);
}

import type { InclusionProof, LogEntry } from '@sigstore/rekor-types';
// rekor-types generates these from Rekor's openapi.yaml but its index re-exports only some; the
// package is types-only and pinned, and `import type` leaves no runtime import.
import type { ConsistencyProof, InactiveShardLogInfo, LogInfo } from '@sigstore/rekor-types/dist/__generated__/index.js';
import { z } from 'zod';

/**
 * Zod schemas for the Rekor v1 responses the client reads, typed against @sigstore/rekor-types
 * (Rekor's own openapi.yaml): the boundary still validates every byte at run time, and a field
 * that the API renames, drops or retypes is a compile error here instead of a surprise in
 * production. Each schema covers only the fields the collector reads (Read<>), and is as strict
 * as the API or stricter (hex strings, non-negative integers).
 */

/**
 * The fields K of rekor-types shape T, with their API types; those in Opt are optional here
 * although the API marks them required (older Rekor servers omit them). Naming a field T lacks
 * does not compile.
 */
type Read<T, K extends keyof T, Opt extends K = never> = Pick<T, Exclude<K, Opt>> & Partial<Pick<T, Opt>>;
/** A field name of T, checked: for fields whose nested shape is loosened by hand. */
type Field<T, K extends keyof T> = K;

type EntryValue = LogEntry[string];
type Verification = NonNullable<EntryValue['verification']>;

export type LogInfoRead = Read<LogInfo, 'rootHash' | 'treeSize' | 'signedTreeHead' | 'treeID'> & {
  // null is accepted as "no inactive shards" (as this client always has); only the sizes are read.
  [P in Field<LogInfo, 'inactiveShards'>]?: Read<InactiveShardLogInfo, 'treeSize' | 'treeID', 'treeID'>[] | null;
};
export type ConsistencyProofRead = Read<ConsistencyProof, 'rootHash' | 'hashes', 'rootHash'>;
export type LogEntryRead = Read<EntryValue, 'body' | 'integratedTime' | 'logID' | 'logIndex'> & {
  [P in Field<EntryValue, 'verification'>]?: {
    // Older Rekor servers send proofs without a checkpoint: accepted here, reported by the follower when one is needed.
    [Q in Field<Verification, 'inclusionProof'>]?: Read<InclusionProof, 'checkpoint' | 'hashes' | 'logIndex' | 'rootHash' | 'treeSize', 'checkpoint'>;
  } & Read<Verification, 'signedEntryTimestamp', 'signedEntryTimestamp'>;
};

const hex = z.string().regex(/^[0-9a-fA-F]*$/);

export const logInfoSchema = z.object({
  rootHash: hex,
  treeSize: z.number().int().nonnegative(),
  signedTreeHead: z.string().min(1),
  treeID: z.string().regex(/^[0-9]+$/),
  inactiveShards: z.array(z.object({ treeSize: z.number().int().nonnegative(), treeID: z.string().optional() })).nullish(),
}) satisfies z.ZodType<LogInfoRead>;

export const consistencyProofSchema = z.object({ rootHash: hex.optional(), hashes: z.array(hex) }) satisfies z.ZodType<ConsistencyProofRead>;

export const logEntrySchema = z.object({
  // rekor-types leaves the body `any`; on the wire it is base64 of the canonical entry JSON.
  body: z.string().min(1),
  integratedTime: z.number().int(),
  logID: hex.min(1),
  logIndex: z.number().int().nonnegative(),
  verification: z
    .object({
      inclusionProof: z
        .object({
          checkpoint: z.string().optional(),
          hashes: z.array(hex),
          logIndex: z.number().int().nonnegative(),
          rootHash: hex.min(1),
          treeSize: z.number().int().positive(),
        })
        .optional(),
      signedEntryTimestamp: z.string().optional(),
    })
    .optional(),
}) satisfies z.ZodType<LogEntryRead>;

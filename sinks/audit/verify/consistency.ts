import { describeError } from '../../../core/index.js';
import { type Checkpoint, consistencyProof, verifyConsistency } from '../../../core/tlog/index.js';
import type { AuditStore } from '../port.js';
import { fail } from './failure.js';

/** Step 4: consecutive checkpoints are one append-only history. The node cache is verified by now (step 2), so proofs built from it are the recomputed tree's. */
export async function verifyConsistencyOf(store: AuditStore, cps: readonly Checkpoint[]): Promise<void> {
  for (let k = 1; k < cps.length; k++) {
    const a = cps[k - 1]!;
    const b = cps[k]!;
    try {
      const proof = await consistencyProof(a.size, b.size, (ids) => store.nodes(ids));
      verifyConsistency(a.size, b.size, proof, a.rootHash, b.rootHash);
    } catch (err) {
      fail({
        code: 'CHECKPOINT_INCONSISTENT',
        index: a.size,
        checkpointSize: b.size,
        detail: `checkpoints ${a.size} and ${b.size} are not consistent: ${describeError(err).code}`,
      });
    }
  }
}

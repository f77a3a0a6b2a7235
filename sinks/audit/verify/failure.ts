import type { IntegrityProblem } from '../errors.js';

/** What a step found wrong: the first problem in record order, naming the record (or checkpoint). */
export interface IntegrityFailure {
  code: IntegrityProblem;
  /** The first record that is not intact, when known. */
  index?: number;
  /** The checkpoint involved, when the problem is about one. */
  checkpointSize?: number;
  detail: string;
}

/** Thrown by a step and caught by the checklist (verify.ts), which turns it into the report. */
export class Broken extends Error {
  constructor(readonly failure: IntegrityFailure) {
    super(failure.detail);
  }
}

export const fail = (f: IntegrityFailure): never => {
  throw new Broken(f);
};

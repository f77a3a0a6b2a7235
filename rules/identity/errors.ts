import { ChainwatchError } from '../../core/index.js';

/**
 * Everything that can be wrong with an identity policy file. Never retriable: the operator must
 * fix the file. `issues` name each bad key by its dotted path (e.g. `watches.0.expected.1.refs.0`)
 * and, when the YAML was parsed, its line and column, so the message is actionable.
 */
export type PolicyErrorCode =
  'POLICY_NOT_FOUND' | 'POLICY_UNREADABLE' | 'POLICY_YAML_SYNTAX' | 'POLICY_INVALID' | 'POLICY_BAD_PATTERN' | 'POLICY_DUPLICATE_NAME';

export interface PolicyIssue {
  path: string;
  message: string;
  line?: number;
  col?: number;
}

export class PolicyError extends ChainwatchError<PolicyErrorCode> {
  readonly file: string;
  readonly issues: readonly PolicyIssue[];
  constructor(code: PolicyErrorCode, file: string, issues: PolicyIssue[], cause?: unknown) {
    const where = (i: PolicyIssue) => `${file}${i.line !== undefined ? `:${i.line}:${i.col ?? 1}` : ''} ${i.path || '(root)'}`;
    super(
      code,
      `identity policy ${code}: ${issues
        .slice(0, 5)
        .map((i) => `${where(i)}: ${i.message}`)
        .join('; ')}`,
      { cause, retriable: false },
    );
    this.file = file;
    this.issues = issues;
  }
}

import { ChainwatchError } from '../../core/index.js';

/**
 * Everything that can be wrong with a set of image policies. Never retriable: the operator must fix
 * a file. Every issue names its file, line and column (when the YAML was parsed), the dotted YAML
 * path of the bad key and the reason, so `policy check` can print `file:line:col path: reason`.
 */
export type ImagePolicyErrorCode =
  | 'POLICY_NOT_FOUND'
  | 'POLICY_UNREADABLE'
  | 'POLICY_YAML_SYNTAX'
  | 'POLICY_INVALID'
  | 'POLICY_BAD_PATTERN'
  | 'POLICY_BAD_KEY'
  | 'POLICY_BAD_CONDITION'
  | 'POLICY_DUPLICATE_NAME'
  | 'POLICY_UNKNOWN_STAGE'
  | 'POLICY_STAGE_CYCLE'
  | 'POLICY_EMPTY';

export interface ImagePolicyIssue {
  file: string;
  /** Dotted YAML path inside the document, e.g. `authorities.1.attestations.0.condition`. */
  path: string;
  message: string;
  line?: number;
  col?: number;
}

export function formatIssue(i: ImagePolicyIssue): string {
  const at = i.line !== undefined ? `${i.file}:${i.line}:${i.col ?? 1}` : i.file;
  return `${at} ${i.path || '(root)'}: ${i.message}`;
}

export class ImagePolicyError extends ChainwatchError<ImagePolicyErrorCode> {
  readonly issues: readonly ImagePolicyIssue[];
  constructor(code: ImagePolicyErrorCode, issues: ImagePolicyIssue[], cause?: unknown) {
    super(code, `image policy ${code}: ${issues.slice(0, 5).map(formatIssue).join('; ')}`, { cause, retriable: false });
    this.issues = issues;
  }
}

// Types of the lint's API for the TypeScript tests that call it in-process.
export interface Violation {
  rule: string;
  severity: 'error' | 'warn' | 'info';
  /** The file (with `:line` for escape hatches, `name/` for a folder). */
  from: string;
  /** What it imports or reaches, or the offending code. */
  to: string;
  /** Test code between `from` and `to`, for a dependency reached indirectly. */
  via?: string[];
  comment: string;
}
export function lintDependencies(root: string): Promise<{ violations: Violation[]; files: number }>;
export function formatViolation(v: Violation): string;

/**
 * Typed errors: every error chainwatch raises carries a machine-readable `code` from a closed union,
 * an optional `cause`, and a `retriable` flag that the retry decorator (core/retry.ts) reads.
 * Tests assert class + code, never message text. Messages must never contain secrets.
 */
export class ChainwatchError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly retriable: boolean;
  /** Milliseconds the peer asked us to wait (HTTP Retry-After, Kafka throttle), when known. */
  readonly retryAfterMs: number | undefined;

  constructor(code: Code, message: string, opts: { cause?: unknown; retriable?: boolean; retryAfterMs?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export type EventErrorCode =
  'EVENT_MALFORMED_JSON' | 'EVENT_INVALID_ENVELOPE' | 'EVENT_UNKNOWN_TYPE' | 'EVENT_INVALID_DATA' | 'EVENT_TOO_LARGE' | 'EVENT_TOO_DEEP';
export class EventError extends ChainwatchError<EventErrorCode> {}

export type BusErrorCode = 'BUS_NOT_STARTED' | 'BUS_STOPPED' | 'BUS_UNAVAILABLE' | 'BUS_PUBLISH_FAILED' | 'BUS_COMMIT_FAILED' | 'BUS_INVALID_TOPIC';
export class BusError extends ChainwatchError<BusErrorCode> {}

export type HandlerErrorCode = 'HANDLER_FAILED' | 'HANDLER_RETRIES_EXHAUSTED' | 'HANDLER_TIMEOUT';
export class HandlerError extends ChainwatchError<HandlerErrorCode> {}

export type ConfigErrorCode = 'CONFIG_NOT_FOUND' | 'CONFIG_PARSE' | 'CONFIG_INVALID' | 'CONFIG_SECRET_UNREADABLE' | 'CONFIG_UNSAFE';
export class ConfigError extends ChainwatchError<ConfigErrorCode> {
  /** One entry per bad key: dotted path, and what was expected. */
  readonly issues: readonly { path: string; message: string }[];
  constructor(code: ConfigErrorCode, message: string, issues: { path: string; message: string }[] = [], cause?: unknown) {
    super(code, message, { cause });
    this.issues = issues;
  }
}

export type HttpErrorCode =
  'HTTP_UNREACHABLE' | 'HTTP_TIMEOUT' | 'HTTP_RATE_LIMITED' | 'HTTP_SERVER_ERROR' | 'HTTP_CLIENT_ERROR' | 'HTTP_BODY_TOO_LARGE' | 'HTTP_BAD_RESPONSE';
/** Raised by adapters at the edge; 408/429/5xx/network are retriable, other 4xx are not. */
export class HttpError extends ChainwatchError<HttpErrorCode> {
  readonly status: number | undefined;
  constructor(code: HttpErrorCode, message: string, opts: { status?: number; cause?: unknown; retryAfterMs?: number } = {}) {
    const retriable = code !== 'HTTP_CLIENT_ERROR' && code !== 'HTTP_BODY_TOO_LARGE' && code !== 'HTTP_BAD_RESPONSE';
    super(code, message, { cause: opts.cause, retriable, ...(opts.retryAfterMs !== undefined ? { retryAfterMs: opts.retryAfterMs } : {}) });
    this.status = opts.status;
  }
}

/** A value that RFC 8785 canonical JSON cannot represent (too deep, non-finite, lone surrogate, ...). */
export class CanonicalJsonError extends ChainwatchError<'CANONICAL_JSON_INVALID'> {
  constructor(message: string) {
    super('CANONICAL_JSON_INVALID', message);
  }
}

/**
 * A durable SQLite file could not be opened or brought to the current schema (core/sqlite), or the
 * data directory is held by another daemon (STORAGE_LOCKED, not retriable: it names the holder).
 * I/O trouble (busy, locked, disk) is retriable; a file written by a newer chainwatch is not.
 */
export type StorageErrorCode =
  'STORAGE_OPEN_FAILED' | 'STORAGE_MIGRATION_FAILED' | 'STORAGE_VERSION_TOO_NEW' | 'STORAGE_VERSION_TOO_OLD' | 'STORAGE_IMPORT_FAILED' | 'STORAGE_LOCKED';
export class StorageError extends ChainwatchError<StorageErrorCode> {}

/**
 * A signing key could not be created, read or used (keys/ adapters behind the KeyProvider port).
 * Only KEY_TOKEN_UNAVAILABLE is retriable (a token that went away and may come back: the adapter
 * reconnects on the next use); a key that is missing, unreadable, too widely readable, or behind a
 * wrong PIN stays so until an operator acts.
 *   KEY_PIN_INCORRECT     the token refused the PIN (or it is locked): retrying would lock it
 *   KEY_TOKEN_NOT_FOUND   no token with that label in the PKCS#11 module
 *   KEY_MODULE_UNLOADABLE the PKCS#11 library cannot be loaded or initialised
 *   KEY_SIGN_FAILED       the token refused to sign (not a connectivity problem)
 */
export type KeyErrorCode =
  | 'KEY_NOT_FOUND'
  | 'KEY_UNREADABLE'
  | 'KEY_INSECURE'
  | 'KEY_UNSUPPORTED'
  | 'KEY_CREATE_FAILED'
  | 'KEY_PIN_INCORRECT'
  | 'KEY_TOKEN_NOT_FOUND'
  | 'KEY_TOKEN_UNAVAILABLE'
  | 'KEY_MODULE_UNLOADABLE'
  | 'KEY_SIGN_FAILED';
export class KeyError extends ChainwatchError<KeyErrorCode> {}

export function isRetriable(err: unknown): boolean {
  return err instanceof ChainwatchError ? err.retriable : false;
}

/** A short, secret-free description of any thrown value for logs, headers and findings. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof ChainwatchError) return { code: (err as ChainwatchError).code, message: err.message };
  if (err instanceof Error) return { code: err.name || 'Error', message: err.message };
  return { code: 'UNKNOWN', message: String(err) };
}

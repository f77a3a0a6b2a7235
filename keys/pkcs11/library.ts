import pkcs11jsDefault from 'pkcs11js';
import type * as P11 from 'pkcs11js';
import { KeyError } from '../../core/index.js';

/**
 * pkcs11js is CommonJS whose exports Node's ESM loader cannot list statically (a namespace import
 * leaves Pkcs11Error and the constants undefined in the built daemon): take module.exports whole.
 */
export const pkcs11js = pkcs11jsDefault;
export type { P11 };

/**
 * One loaded PKCS#11 library (a .so) per process. Cryptoki's C_Initialize is process-wide per
 * library, so every Signer on the same module shares this object; each holds its own sessions.
 *
 * `generation` counts initialisations: a library re-initialised (to discover a token created or
 * re-inserted since: SoftHSM, like many modules, enumerates tokens only in C_Initialize) invalidates
 * every session handle of the previous generation, and signers reconnect when they see it moved.
 */
export class Pkcs11Library {
  readonly p11: P11.PKCS11 = new pkcs11js.PKCS11();
  generation = 0;
  #inflight = 0;
  #reinit: Promise<void> | undefined;

  constructor(readonly path: string) {
    try {
      this.p11.load(path);
      this.p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (err) {
      throw new KeyError('KEY_MODULE_UNLOADABLE', `cannot load the PKCS#11 module ${path}`, { cause: err });
    }
  }

  /** Runs a token call, counted so that a re-initialisation waits until no call is in flight. */
  async call<T>(fn: (p11: P11.PKCS11) => T | Promise<T>): Promise<T> {
    while (this.#reinit) await this.#reinit;
    this.#inflight++;
    try {
      return await fn(this.p11);
    } finally {
      this.#inflight--;
    }
  }

  /** The slot holding the token labelled `label` (and `serial` when given); re-initialises once when none does. */
  async findSlot(label: string, serial?: string): Promise<P11.Handle> {
    for (const refresh of [false, true]) {
      if (refresh) await this.reinitialize();
      const slot = await this.call((p11) => {
        try {
          return p11.C_GetSlotList(true).find((s) => {
            let info: P11.TokenInfo;
            try {
              info = p11.C_GetTokenInfo(s);
            } catch {
              return false; // a token removed since the last C_Initialize (SoftHSM: CKR_GENERAL_ERROR)
            }
            return info.label.trim() === label && (serial === undefined || info.serialNumber.trim() === serial);
          });
        } catch (err) {
          throw keyErrorFrom(err, `listing the tokens of ${this.path}`);
        }
      });
      if (slot) return slot;
    }
    throw new KeyError('KEY_TOKEN_NOT_FOUND', `no PKCS#11 token labelled "${label}"${serial ? ` (serial ${serial})` : ''} in ${this.path}`);
  }

  /** C_Finalize + C_Initialize, after the calls in flight; all sessions of every signer end. */
  async reinitialize(): Promise<void> {
    if (this.#reinit) return this.#reinit;
    this.#reinit = (async () => {
      while (this.#inflight > 0) await new Promise((r) => setTimeout(r, 5));
      try {
        this.p11.C_Finalize();
      } catch {
        // not initialised (a previous attempt failed half-way): initialise below anyway
      }
      try {
        this.p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
      } catch (err) {
        throw new KeyError('KEY_MODULE_UNLOADABLE', `cannot re-initialise the PKCS#11 module ${this.path}`, { cause: err, retriable: true });
      } finally {
        this.generation++;
      }
    })().finally(() => (this.#reinit = undefined));
    return this.#reinit;
  }
}

const libraries = new Map<string, Pkcs11Library>();

/** The process's library object for `path`, loaded on first use. */
export function pkcs11Library(path: string): Pkcs11Library {
  let lib = libraries.get(path);
  if (!lib) {
    lib = new Pkcs11Library(path);
    libraries.set(path, lib);
  }
  return lib;
}

/** Return values after which the connection is rebuilt (the token went away, or the library was reset). */
const RECONNECT = new Set([
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_DEVICE_REMOVED,
  pkcs11js.CKR_DEVICE_ERROR,
  pkcs11js.CKR_TOKEN_NOT_PRESENT,
  pkcs11js.CKR_TOKEN_NOT_RECOGNIZED,
  pkcs11js.CKR_SLOT_ID_INVALID,
  pkcs11js.CKR_CRYPTOKI_NOT_INITIALIZED,
  pkcs11js.CKR_USER_NOT_LOGGED_IN,
  pkcs11js.CKR_KEY_HANDLE_INVALID,
  pkcs11js.CKR_OBJECT_HANDLE_INVALID,
]);
const PIN = new Set([pkcs11js.CKR_PIN_INCORRECT, pkcs11js.CKR_PIN_INVALID, pkcs11js.CKR_PIN_LEN_RANGE, pkcs11js.CKR_PIN_EXPIRED, pkcs11js.CKR_PIN_LOCKED]);
const UNSUPPORTED = new Set([pkcs11js.CKR_MECHANISM_INVALID, pkcs11js.CKR_KEY_TYPE_INCONSISTENT, pkcs11js.CKR_KEY_FUNCTION_NOT_PERMITTED]);

const codeOf = (err: unknown): number | undefined => (err instanceof pkcs11js.Pkcs11Error ? err.code : undefined);

/** True for token errors a reconnect can cure. */
export function reconnectable(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && RECONNECT.has(code);
}

/** Classifies a PKCS#11 failure at the edge. `what` says what was being done (no secrets: PINs never reach it). */
export function keyErrorFrom(err: unknown, what: string): KeyError {
  if (err instanceof KeyError) return err;
  const code = codeOf(err);
  const name = err instanceof Error ? err.message.split(':')[0] : 'error';
  if (code !== undefined && PIN.has(code)) return new KeyError('KEY_PIN_INCORRECT', `${what}: the token refused the PIN (${name})`, { cause: err });
  if (code !== undefined && RECONNECT.has(code))
    return new KeyError('KEY_TOKEN_UNAVAILABLE', `${what}: the token is unavailable (${name})`, { cause: err, retriable: true });
  if (code !== undefined && UNSUPPORTED.has(code)) return new KeyError('KEY_UNSUPPORTED', `${what}: not supported by the token (${name})`, { cause: err });
  return new KeyError('KEY_SIGN_FAILED', `${what}: ${name}`, { cause: err });
}

import { readFileSync } from 'node:fs';
import { parseVerifierKey, strictBase64, type NoteVerifier } from '../../../core/tlog/index.js';
import { AuditError } from '../errors.js';
import type { TrustedKeys } from '../key-history.js';
import type { WitnessPolicy } from './witnesses.js';

/**
 * `--witness-key FILE...` and `--witness-threshold K` as a WitnessPolicy (undefined without
 * --witness-key). Each file holds cosignature/v1 verifier keys, one a line. Refused (usage, exit 2):
 * an unreadable or malformed file, a key of another type, a threshold outside 1..n, and a witness
 * key that is one of the checkpoint keys: a witness whose key the log holds vouches for nothing.
 */
export function witnessPolicy(files: readonly string[] | undefined, threshold: string | undefined, trust: TrustedKeys): WitnessPolicy | undefined {
  if (!files?.length) {
    if (threshold !== undefined) throw new AuditError('AUDIT_USAGE', '--witness-threshold needs --witness-key');
    return undefined;
  }
  const verifiers: NoteVerifier[] = [];
  const materials: string[] = [];
  for (const file of files) {
    let lines: string[];
    try {
      lines = readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
    } catch (err) {
      throw new AuditError('AUDIT_KEY_UNREADABLE', `cannot read the witness key ${file}`, { cause: err });
    }
    if (!lines.length) throw new AuditError('AUDIT_KEY_UNREADABLE', `no witness key in ${file}`);
    for (const line of lines) {
      let v: NoteVerifier;
      try {
        v = parseVerifierKey(line);
      } catch (err) {
        throw new AuditError('AUDIT_KEY_UNREADABLE', `${file}: not a verifier key`, { cause: err });
      }
      if (v.type !== 'cosignature-v1') throw new AuditError('AUDIT_KEY_UNREADABLE', `${file}: ${v.name} is not a cosignature/v1 witness key`);
      verifiers.push(v);
      materials.push(keyMaterial(line));
    }
  }
  const logKeys = new Set(trust.keys.map((k) => keyMaterial(k.vkey)));
  if (materials.some((m) => logKeys.has(m))) {
    throw new AuditError('AUDIT_USAGE', 'a witness key is also a checkpoint key: the witness must hold a key of its own');
  }
  const k = threshold === undefined ? verifiers.length : Number(threshold);
  if (!Number.isInteger(k) || k < 1 || k > verifiers.length) {
    throw new AuditError('AUDIT_USAGE', `--witness-threshold must be an integer from 1 to ${verifiers.length}`);
  }
  return { verifiers, threshold: k };
}

/** The raw key of a vkey (after the type byte), base64: the same Ed25519 key under two types compares equal. */
function keyMaterial(vkey: string): string {
  const raw = strictBase64(vkey.slice(vkey.indexOf('+', vkey.indexOf('+') + 1) + 1));
  return raw ? raw.subarray(1).toString('base64') : vkey;
}

/**
 * SoftHSM2 for the PKCS#11 tests (scripts/services/softhsm.sh provides the module and
 * softhsm2-util). Each test file gets its own SOFTHSM2_CONF and token directory in the test temp
 * root, set before the module is first loaded in this process (SoftHSM reads it in C_Initialize);
 * each test makes a fresh token in it with newToken(). Keys are imported with softhsm2-util from a
 * PKCS#8 PEM made by node:crypto (so the same key can also sign in Node: the benchmark's baseline).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { service } from './services.js';

export const softhsm = service('CHAINWATCH_TEST_SOFTHSM_MODULE', 'SoftHSM2');
const UTIL = process.env.CHAINWATCH_TEST_SOFTHSM_UTIL ?? 'softhsm2-util';

export interface SoftToken {
  label: string;
  pin: string;
  soPin: string;
  module: string;
  /** SOFTHSM2_CONF of the token: pass it in the env of processes (daemon, CLI) that use it. */
  conf: string;
  dir: string;
}

let conf: string | undefined;

/** The per-file SoftHSM config: created once, exported as SOFTHSM2_CONF for this process and its children. */
export function softhsmConf(): string {
  if (conf) return conf;
  const dir = mkdtempSync(join(tmpdir(), 'cw-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  return conf;
}

function util(args: string[]): string {
  return execFileSync(UTIL, ['--module', softhsm.value!, ...args], {
    env: { ...process.env, SOFTHSM2_CONF: softhsmConf() },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A fresh, initialised token with a random label and PINs. */
export function newToken(prefix = 'cw'): SoftToken {
  const c = softhsmConf();
  const label = `${prefix}-${randomBytes(4).toString('hex')}`;
  const pin = randomBytes(6).toString('hex');
  const soPin = randomBytes(6).toString('hex');
  util(['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin]);
  return { label, pin, soPin, module: softhsm.value!, conf: c, dir: join(c, '..') };
}

/** Imports a private key (PKCS#8) into the token as key pair `label` with CKA_ID `idHex`. */
export function importKey(token: SoftToken, privateKey: KeyObject, label: string, idHex: string): void {
  const pem = join(token.dir, `${label}-${randomBytes(4).toString('hex')}.pem`);
  writeFileSync(pem, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  util(['--import', pem, '--token', token.label, '--label', label, '--id', idHex, '--pin', token.pin]);
}

/**
 * Sets CKA_END_DATE (YYYYMMDD) on the public key object `label`, as a key ceremony would. In a
 * child process: C_Initialize is per process, and this one's PKCS#11 state belongs to the code
 * under test.
 */
export function setEndDate(token: SoftToken, label: string, yyyymmdd: string): void {
  const script = `
    const pkcs11js = require('pkcs11js');
    const [module, tokenLabel, pin, label, date] = process.argv.slice(1);
    const p = new pkcs11js.PKCS11();
    p.load(module);
    p.C_Initialize();
    try {
      const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trim() === tokenLabel);
      const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      p.C_Login(session, pkcs11js.CKU_USER, pin);
      p.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }, { type: pkcs11js.CKA_LABEL, value: label }]);
      const [h] = p.C_FindObjects(session, 1);
      p.C_FindObjectsFinal(session);
      if (!h) throw new Error('no public key labelled ' + label);
      p.C_SetAttributeValue(session, h, [{ type: pkcs11js.CKA_END_DATE, value: Buffer.from(date, 'latin1') }]);
      p.C_CloseSession(session);
    } finally {
      p.C_Finalize();
    }`;
  execFileSync(process.execPath, ['-e', script, token.module, token.label, token.pin, label, yyyymmdd], {
    env: { ...process.env, SOFTHSM2_CONF: token.conf },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Deletes the token (its directory): what a removed HSM looks like to the next C_Initialize. */
export function deleteToken(token: SoftToken): void {
  util(['--delete-token', '--token', token.label]);
}

/** The `pkcs11:` URI of key `object` on the token. */
export const keyUri = (token: SoftToken, object: string): string => `pkcs11:token=${encodeURIComponent(token.label)};object=${encodeURIComponent(object)}`;

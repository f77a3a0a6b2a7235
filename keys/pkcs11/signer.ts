import { createHash, type KeyObject } from 'node:crypto';
import { KeyError, parsePkcs11Uri, type Pkcs11KeyRef, type Pkcs11Uri, type SignatureAlgorithm, type Signer, spkiKeyId } from '../../core/index.js';
import { ecPublicKey, p1363ToDer } from './encoding.js';
import { keyErrorFrom, type P11, type Pkcs11Library, pkcs11js, pkcs11Library, reconnectable } from './library.js';

const CKM_EDDSA = 0x1057; // PKCS#11 3.0; pkcs11js 2.1 has no constant for it
const CKK_EC_EDWARDS = 0x40;

/** What one connection to the token holds: valid for one library generation. */
interface Connection {
  generation: number;
  slot: P11.Handle;
  key: P11.Handle;
  idle: P11.Handle[];
  open: number;
}

/**
 * A Signer whose private key stays on a PKCS#11 token. Opened by reference (keys/index.ts):
 * token by label, key by label and/or id, PIN from a secret. Per signature: hash in Node (ECDSA),
 * the raw mechanism in the token (CKM_ECDSA over the digest, CKM_EDDSA over the message), P1363
 * converted to DER for ECDSA.
 *
 * Sessions are pooled (up to `sessions`, opened on demand, one operation per session at a time as
 * PKCS#11 requires). After a token error that a reconnect can cure (session handle invalid, device
 * removed, token not present, library reset) the connection is dropped, the token found again by
 * label, logged in, the key found and checked to be the same key (same public key), and the
 * signature retried once; if that fails too the caller gets KEY_TOKEN_UNAVAILABLE (retriable).
 */
export class Pkcs11Signer implements Signer {
  readonly keyId: string;
  #conn: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  #waiters: ((c: Connection | undefined) => void)[] = [];
  #closed = false;

  private constructor(
    private readonly lib: Pkcs11Library,
    private readonly uri: Pkcs11Uri,
    private readonly pin: { reveal(): string },
    private readonly maxSessions: number,
    readonly algorithm: SignatureAlgorithm,
    readonly publicKey: KeyObject,
    conn: Connection,
  ) {
    this.keyId = spkiKeyId(publicKey);
    this.#conn = conn;
  }

  /** Connects, logs in and finds the key; throws KeyError (never with the PIN in it). */
  static async open(ref: Pkcs11KeyRef): Promise<Pkcs11Signer> {
    const uri = parsePkcs11Uri(ref.uri);
    if (typeof uri === 'string') throw new KeyError('KEY_UNSUPPORTED', `bad PKCS#11 URI: ${uri}`);
    const lib = pkcs11Library(ref.module ?? uri.modulePath!);
    const { conn, algorithm, publicKey } = await connect(lib, uri, ref.pin);
    return new Pkcs11Signer(lib, uri, ref.pin, ref.sessions, algorithm, publicKey, conn);
  }

  async sign(data: Uint8Array): Promise<Buffer> {
    const input = this.#input(data);
    for (let attempt = 0; ; attempt++) {
      const conn = await this.#connection();
      const session = await this.#acquire(conn);
      try {
        const out = await this.lib.call(async (p11) => {
          p11.C_SignInit(session, { mechanism: this.algorithm === 'ed25519' ? CKM_EDDSA : pkcs11js.CKM_ECDSA }, conn.key);
          return p11.C_SignAsync(session, input, Buffer.alloc(this.algorithm === 'ed25519' ? 64 : 132));
        });
        // Converted before the session goes back: a conversion failure must release it once, below.
        const sig = this.algorithm === 'ed25519' ? Buffer.from(out) : p1363ToDer(Buffer.from(out));
        this.#release(conn, session);
        return sig;
      } catch (err) {
        const stale = reconnectable(err) || conn.generation !== this.lib.generation;
        if (stale) this.#drop(conn);
        else this.#release(conn, session);
        if (!stale || attempt >= 1) throw keyErrorFrom(err, `signing with ${this.uri.token}/${this.uri.object ?? 'id'}`);
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#conn) this.#drop(this.#conn);
  }

  #input(data: Uint8Array): Buffer {
    switch (this.algorithm) {
      case 'ed25519':
        return Buffer.from(data);
      case 'ecdsa-p256-sha256':
        return createHash('sha256').update(data).digest();
      case 'ecdsa-p384-sha384':
        return createHash('sha384').update(data).digest();
    }
  }

  /** The live connection, rebuilt when the library was re-initialised or a token error dropped it. */
  async #connection(): Promise<Connection> {
    if (this.#closed) throw new KeyError('KEY_TOKEN_UNAVAILABLE', 'the signer is closed');
    if (this.#conn && this.#conn.generation === this.lib.generation) return this.#conn;
    if (this.#conn) this.#drop(this.#conn);
    this.#connecting ??= (async () => {
      try {
        const next = await connect(this.lib, this.uri, this.pin);
        // A token re-created under the same label with another key must not sign in its place.
        if (spkiKeyId(next.publicKey) !== this.keyId) {
          closeAll(this.lib, next.conn);
          throw new KeyError('KEY_NOT_FOUND', `the key ${this.uri.token}/${this.uri.object ?? 'id'} is no longer the key this signer was opened with`);
        }
        this.#conn = next.conn;
        return next.conn;
      } catch (err) {
        throw err instanceof KeyError ? err : keyErrorFrom(err, `reconnecting to ${this.uri.token}`);
      } finally {
        this.#connecting = undefined;
      }
    })();
    return this.#connecting;
  }

  async #acquire(conn: Connection): Promise<P11.Handle> {
    const idle = conn.idle.pop();
    if (idle) return idle;
    if (conn.open < this.maxSessions) {
      conn.open++;
      try {
        return await this.lib.call((p11) => p11.C_OpenSession(conn.slot, pkcs11js.CKF_SERIAL_SESSION));
      } catch (err) {
        conn.open--;
        if (reconnectable(err)) this.#drop(conn);
        throw keyErrorFrom(err, `opening a session on ${this.uri.token}`);
      }
    }
    const next = await new Promise<Connection | undefined>((resolve) => this.#waiters.push(resolve));
    return this.#acquire(next && next.generation === this.lib.generation ? next : await this.#connection());
  }

  #release(conn: Connection, session: P11.Handle): void {
    if (conn !== this.#conn) {
      // Its connection was replaced while this signature ran: close the session rather than leak it.
      if (conn.generation === this.lib.generation) closeAll(this.lib, { ...conn, idle: [session] });
      return;
    }
    conn.idle.push(session);
    this.#waiters.shift()?.(conn);
  }

  /** Forgets a connection: its sessions are closed when still valid; waiters retry on a new one. */
  #drop(conn: Connection): void {
    if (this.#conn === conn) this.#conn = undefined;
    if (conn.generation === this.lib.generation) closeAll(this.lib, conn);
    for (const w of this.#waiters.splice(0)) w(undefined);
  }
}

function closeAll(lib: Pkcs11Library, conn: Connection): void {
  for (const s of conn.idle.splice(0)) {
    try {
      lib.p11.C_CloseSession(s);
    } catch {
      // already invalid: the token went away
    }
  }
}

/** Finds the token, logs in (on a session kept in the pool), finds the key and its public half. */
async function connect(
  lib: Pkcs11Library,
  uri: Pkcs11Uri,
  pin: { reveal(): string },
): Promise<{ conn: Connection; algorithm: SignatureAlgorithm; publicKey: KeyObject }> {
  const slot = await lib.findSlot(uri.token, uri.serial);
  const generation = lib.generation;
  return lib.call((p11) => {
    let session: P11.Handle;
    try {
      session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    } catch (err) {
      throw keyErrorFrom(err, `opening a session on ${uri.token}`);
    }
    try {
      login(p11, session, pin, uri.token);
      const key = findOne(p11, session, uri, pkcs11js.CKO_PRIVATE_KEY);
      const [keyType, id] = p11.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_KEY_TYPE }, { type: pkcs11js.CKA_ID }]);
      const type = ulong(keyType!.value);
      if (type !== pkcs11js.CKK_EC && type !== CKK_EC_EDWARDS)
        throw new KeyError('KEY_UNSUPPORTED', `${uri.token}/${uri.object ?? 'id'} is not an EC or Ed25519 key`);
      const pub = findOne(p11, session, { ...uri, ...(id?.value && id.value.length ? { id: id.value } : {}) }, pkcs11js.CKO_PUBLIC_KEY);
      const [params, point] = p11.C_GetAttributeValue(session, pub, [{ type: pkcs11js.CKA_EC_PARAMS }, { type: pkcs11js.CKA_EC_POINT }]);
      const { algorithm, publicKey } = ecPublicKey(params!.value, point!.value);
      const mechanism = algorithm === 'ed25519' ? CKM_EDDSA : pkcs11js.CKM_ECDSA;
      if (!p11.C_GetMechanismList(slot).includes(mechanism)) {
        throw new KeyError('KEY_UNSUPPORTED', `the token ${uri.token} does not offer ${algorithm === 'ed25519' ? 'CKM_EDDSA' : 'CKM_ECDSA'}`);
      }
      return { conn: { generation, slot, key, idle: [session], open: 1 }, algorithm, publicKey };
    } catch (err) {
      try {
        p11.C_CloseSession(session);
      } catch {
        // the token went away meanwhile
      }
      throw keyErrorFrom(err, `opening ${uri.token}/${uri.object ?? 'id'}`);
    }
  });
}

function login(p11: P11.PKCS11, session: P11.Handle, pin: { reveal(): string }, token: string): void {
  try {
    p11.C_Login(session, pkcs11js.CKU_USER, pin.reveal());
  } catch (err) {
    // Login state is per application and token: another signer of this process already logged in.
    if (err instanceof pkcs11js.Pkcs11Error && err.code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN) return;
    throw keyErrorFrom(err, `logging in to ${token}`);
  }
}

function findOne(p11: P11.PKCS11, session: P11.Handle, uri: Pkcs11Uri, cls: number): P11.Handle {
  const template: P11.Template = [{ type: pkcs11js.CKA_CLASS, value: cls }];
  if (uri.object) template.push({ type: pkcs11js.CKA_LABEL, value: uri.object });
  if (uri.id) template.push({ type: pkcs11js.CKA_ID, value: uri.id });
  p11.C_FindObjectsInit(session, template);
  let found: P11.Handle[];
  try {
    found = p11.C_FindObjects(session, 2);
  } finally {
    p11.C_FindObjectsFinal(session);
  }
  const what = `${cls === pkcs11js.CKO_PRIVATE_KEY ? 'private' : 'public'} key ${uri.token}/${uri.object ?? uri.id?.toString('hex')}`;
  if (found.length === 0) throw new KeyError('KEY_NOT_FOUND', `no ${what}`);
  if (found.length > 1) throw new KeyError('KEY_NOT_FOUND', `more than one ${what}: add id= to the URI`);
  return found[0]!;
}

/** A CK_ULONG attribute (8 bytes on 64-bit Linux, 4 elsewhere), native little-endian on x86/arm. */
export function ulong(b: Buffer): number {
  return b.length === 8 ? Number(b.readBigUInt64LE()) : b.readUIntLE(0, b.length);
}

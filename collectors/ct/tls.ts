import { CtError, type CtErrorCode } from './errors.js';

/**
 * A bounds-checked reader of TLS presentation-language structures (RFC 5246 §4, as RFC 6962 and
 * static-ct-api use them): big-endian integers and length-prefixed opaque vectors. Every read past
 * the end throws the given code, so a truncated leaf or tile is an error, never a short value.
 */
export class TlsReader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly code: CtErrorCode,
    private readonly what: string,
  ) {}

  get offset(): number {
    return this.pos;
  }
  get done(): boolean {
    return this.pos === this.buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new CtError(this.code, `${this.what} is truncated at byte ${this.pos} (needs ${n} more)`);
  }

  uint(bytes: 1 | 2 | 3 | 8): number {
    this.need(bytes);
    let v: number;
    if (bytes === 8) {
      const big = this.buf.readBigUInt64BE(this.pos);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new CtError(this.code, `${this.what} has a 64-bit value beyond 2^53`);
      v = Number(big);
    } else v = this.buf.readUIntBE(this.pos, bytes);
    this.pos += bytes;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** opaque<..2^(8*lenBytes)-1>: a length prefix, then that many bytes. */
  vector(lenBytes: 1 | 2 | 3): Buffer {
    return this.bytes(this.uint(lenBytes));
  }

  /** A vector of vectors (ASN.1Cert lists): outer uint24 length, inner uint24 lengths. */
  certList(): Buffer[] {
    const inner = new TlsReader(this.vector(3), this.code, this.what);
    const out: Buffer[] = [];
    while (!inner.done) out.push(inner.vector(3));
    return out;
  }

  end(): void {
    if (!this.done) throw new CtError(this.code, `${this.what} has ${this.buf.length - this.pos} trailing bytes`);
  }
}

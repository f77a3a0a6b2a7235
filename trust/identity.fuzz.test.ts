import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SignerIdentity as Signer } from '../core/index.js';
import { signerFromCertificateDer, signerFromPem } from './identity.js';
import { certificate, encodeTree, fulcio, lengthOffsets, parseTree, pem, san } from './testing/der.js';
import { referenceSigner, sigstoreSigner } from './testing/x509-reference.js';
import { realdata } from '../core/testing/index.js';

/**
 * Mutation fuzzing of the identity walker (seeded and bounded: a few seconds). Every mutant of a
 * real (or built) certificate must give either the 'unknown' signer or exactly the identity a real
 * X.509 parser finds in it: @peculiar/x509's whenever it takes the mutant; where it refuses one
 * the walker takes (it checks the schema of extensions the identity never reads, such as basic
 * constraints), @sigstore/core's, which must then take it. Never a throw, never a wrong identity.
 */
const SEED = Number(process.env.CHAINWATCH_FUZZ_SEED ?? 0x5eed);
/** CHAINWATCH_FUZZ_SCALE=20 runs twenty times as many mutants (CI runs 1x: ~4 s). */
const SCALE = Number(process.env.CHAINWATCH_FUZZ_SCALE ?? 1);
const rd = realdata();
const built = [
  certificate({
    extensions: [
      san(['uri', 'https://github.com/acme/app/.github/workflows/r.yml@refs/tags/v1']),
      fulcio(1, 'https://iss'),
      fulcio(8, 'https://iss'),
      fulcio(9, 'x'),
      fulcio(14, 'refs/tags/v1'),
    ],
  }),
  certificate({ extensions: [san(['email', 'a@example.com'], ['dns', 'b.example'])] }),
];
const real = rd.skip
  ? []
  : [
      'conformance-happy-path-v0.3.pem',
      'slsa-gha-generic-v2.1.0.pem',
      'python-3.12.5-release.pem',
      'github-private-attestation.pem',
      'cosign-spec-fulcio-2021-cert.pem',
    ].map((f) => derOf(readFileSync(join(rd.dir, 'x509/fulcio', f), 'utf8')));
const seeds = [...built, ...real];

function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function derOf(text: string): Buffer {
  return Buffer.from(text.split('-----')[2]!.replace(/\s/g, ''), 'base64');
}

type Outcome = 'refused' | 'agrees' | 'agrees with @sigstore/core only';
const tally: Record<string, Record<Outcome, number>> = {};

/** The property: no throw; refused, or the reference's identity (see above). */
function check(kind: string, mutant: Buffer): void {
  const t = (tally[kind] ??= { refused: 0, agrees: 0, 'agrees with @sigstore/core only': 0 });
  let walked: Signer | undefined;
  expect(() => (walked = signerFromCertificateDer(mutant))).not.toThrow();
  expect(signerFromPem(pem(mutant))).toEqual(walked);
  if (walked!.kind === 'unknown') {
    expect(walked).toEqual({ kind: 'unknown', extensions: {} });
    t.refused++;
    return;
  }
  const ref = attempt(() => referenceSigner(mutant));
  if (ref) {
    expect(walked).toEqual(ref);
    t.agrees++;
  } else {
    expect(walked).toEqual(sigstoreSigner(mutant));
    t['agrees with @sigstore/core only']++;
  }
}

const seedIndex = fc.nat({ max: seeds.length - 1 });
const run = (kind: string, numRuns: number, arb: fc.Arbitrary<[number, Buffer]>): void => {
  fc.assert(
    fc.property(arb, ([, mutant]) => check(kind, mutant)),
    { seed: SEED, numRuns: numRuns * SCALE },
  );
};

// CPU-bound (thousands of DER walks, each checked against @sigstore/core): on a loaded 2-core CI
// machine one case took 35 s, past the unit project's 20 s default.
describe('identity walker under mutation (fast-check, seeded)', { timeout: 120_000 }, () => {
  it(`bit flips`, () => {
    run(
      'bit flip',
      700,
      fc.tuple(seedIndex, fc.nat(), fc.nat({ max: 7 })).map(([s, p, bit]) => {
        const m = Buffer.from(seeds[s]!);
        m[p % m.length]! ^= 1 << bit;
        return [s, m];
      }),
    );
  });

  it('truncations and appended bytes', () => {
    run(
      'truncation',
      200,
      fc.tuple(seedIndex, fc.nat(), fc.uint8Array({ maxLength: 3 })).map(([s, n, tail]) => {
        const d = seeds[s]!;
        return [s, tail.length ? Buffer.concat([d, tail]) : d.subarray(0, n % d.length)];
      }),
    );
  });

  it('length-field corruption (every TLV, to neighbouring, short, long-form and absurd values)', () => {
    const values = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xff];
    run(
      'length corruption',
      500,
      fc.tuple(seedIndex, fc.nat(), fc.oneof(fc.constantFrom(...values), fc.integer({ min: -2, max: 2 }))).map(([s, i, v]) => {
        const m = Buffer.from(seeds[s]!);
        const offsets = lengthOffsets(m);
        const at = offsets[i % offsets.length]!;
        m[at] = v >= 0 && v > 2 ? v : (m[at]! + v) & 0xff;
        return [s, m];
      }),
    );
  });

  it('nested length overflow (an inner TLV claims more than its parent holds)', () => {
    run(
      'nested overflow',
      300,
      fc
        .tuple(seedIndex, fc.nat(), fc.constantFrom(Buffer.from([0x84, 0xff, 0xff, 0xff, 0xff]), Buffer.from([0x82, 0xff, 0xff]), Buffer.from([0x81, 0xff])))
        .map(([s, i, len]) => {
          const d = seeds[s]!;
          const offsets = lengthOffsets(d).slice(1); // inner TLVs only
          const at = offsets[i % offsets.length]!;
          const old = d[at]! & 0x80 ? 1 + (d[at]! & 0x7f) : 1;
          return [s, Buffer.concat([d.subarray(0, at), len, d.subarray(at + old)])];
        }),
    );
  });

  it('duplicated extensions (re-encoded, so every length is right)', () => {
    run(
      'duplicated extension',
      100,
      fc.tuple(seedIndex, fc.nat(), fc.nat()).map(([s, i, j]) => {
        const tree = parseTree(Buffer.from(seeds[s]!));
        const tbs = tree.children![0]!;
        const list = tbs.children!.find((c) => c.tag === 0xa3)!.children![0]!.children!;
        const ext = list[i % list.length]!;
        list.splice(j % (list.length + 1), 0, ext);
        return [s, encodeTree(tree)];
      }),
    );
    // Two instances of one extension: never a choice between them.
    expect(tally['duplicated extension']).toEqual({ refused: 100 * SCALE, agrees: 0, 'agrees with @sigstore/core only': 0 });
  });

  it('saw every outcome (the property was not vacuous)', () => {
    console.info(`identity fuzz (seed ${SEED}, scale ${SCALE}): ${JSON.stringify(tally)}`);
    expect(tally['bit flip']!.refused).toBeGreaterThan(50);
    expect(tally['bit flip']!.agrees).toBeGreaterThan(50);
    expect(tally['length corruption']!.refused).toBeGreaterThan(50);
  });
});

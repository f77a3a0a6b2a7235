/**
 * Fills a real Rekor v1 (scripts/services/rekor.sh) with signed hashedrekord entries for the live
 * bench: each artifact is random bytes, signed with one P-256 key (ECDSA over SHA-256, as
 * `openssl dgst -sha256 -sign` and rekor-cli do) and POSTed to /api/v1/log/entries, several
 * uploads in flight. rekor-cli would cost a process per entry; the wire request is the same.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

export async function treeSize(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/log`);
  if (!res.ok) throw new Error(`GET ${url}/api/v1/log: HTTP ${res.status}`);
  return ((await res.json()) as { treeSize: number }).treeSize;
}

/** Adds entries until the log holds at least `want`; returns the tree size then. */
export async function fillRekor(url: string, want: number, inFlight = 16, log: (s: string) => void = () => {}): Promise<number> {
  let size = await treeSize(url);
  if (size >= want) return size;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }) as string).toString('base64');
  let next = 0;
  let uploaded = 0;
  const total = want - size;
  const upload = async (): Promise<void> => {
    const artifact = randomBytes(64);
    const body = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(artifact).digest('hex') } },
        signature: { content: sign('sha256', artifact, privateKey).toString('base64'), publicKey: { content: pub } },
      },
    };
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status === 201) return;
      if (attempt >= 5) throw new Error(`POST ${url}/api/v1/log/entries: HTTP ${res.status}`);
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  };
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      await upload();
      if (++uploaded % 500 === 0) log(`uploaded ${uploaded} of ${total}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  size = await treeSize(url);
  return size;
}

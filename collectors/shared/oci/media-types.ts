/** Media types the discovery reads (OCI image spec 1.1, Docker v2 schema 2, cosign, Sigstore, in-toto). */
export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  dsse: 'application/vnd.dsse.envelope.v1+json',
  inTotoDsse: 'application/vnd.in-toto+json',
  sigstoreBundlePrefix: 'application/vnd.dev.sigstore.bundle',
  notationSignature: 'application/vnd.cncf.notary.signature',
} as const;

/** Every manifest kind we can read, most specific first (the Accept header of manifest requests). */
export const MANIFEST_ACCEPT = [MEDIA.ociManifest, MEDIA.ociIndex, MEDIA.dockerManifest, MEDIA.dockerList].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The fields of an image manifest or index the discovery uses; the rest is kept in `raw`. */
export interface Manifest {
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** The cosign tag of a digest's signature (`.sig`), attestation (`.att`) or the referrers fallback (no suffix). */
export function digestTag(digest: string, suffix: '' | '.sig' | '.att'): string {
  return `${digest.replace(':', '-')}${suffix}`;
}

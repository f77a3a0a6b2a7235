// Test twins of the Rekor collector: a fake Rekor v1 API serving recorded real entries.
export * from './fake-rekor.js';
// And the real thing's: signed hashedrekord uploads to a real Rekor with rekor-cli.
export * from './upload.js';

// Test twins of the Rekor collector: a fake Rekor v1 API serving recorded real entries.
export * from './fake-rekor.js';

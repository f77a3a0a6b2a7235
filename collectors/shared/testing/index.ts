// Test twins of the shared collector code: a C2SP tile log served from memory.
export * from './fake-tile-log.js';

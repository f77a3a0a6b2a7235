// Vitest setup file (vitest.config.ts `setupFiles`, both projects): registers the project's own
// matchers before every test file. Their TypeScript declarations live beside their implementation.
import { expect } from 'vitest';
import { toThrowWithCode } from './to-throw-with-code.js';

expect.extend({ toThrowWithCode });

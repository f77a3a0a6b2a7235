import { defineConfig } from 'vitest/config';

// Two projects: `unit` (beside the code, offline, fast) and `integration` (test/, real services
// started by scripts/test.sh). Integration suites run one file at a time: they share brokers and
// servers on fixed local ports and the machine has two cores. Both register the project's matchers
// (toThrowWithCode) through one setup file. One global setup gives the whole run a temp root that
// is removed at the end (test/helpers/temp-root.ts).
const setupFiles = ['core/testing/vitest-setup.ts'];
export default defineConfig({
  test: {
    globalSetup: ['test/helpers/temp-root.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          setupFiles,
          include: ['{core,bus,stores,trust,collectors,detectors,rules,sinks,daemon,keys}/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          setupFiles,
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

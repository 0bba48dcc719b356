import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/** In-process: the roles built with buildApp and driven through app.inject (test/helpers.ts). */
const integration = ['test/integration/**/*.test.ts'];
/** Whole processes: started servers, signals and crashes, the browser, Ruby, the image, k8s. */
const e2e = ['test/*.test.ts'];
/** The SDK against a started server, its CLI and its packed tarball: run once, on PostgreSQL. */
const sdkE2e = ['sdk/js/test/adapters.test.ts', 'sdk/js/test/listen.test.ts', 'sdk/js/test/pack.test.ts'];

/**
 * Three kinds of tests (README, "Tests"): `unit` beside the code; `integration` and `e2e`
 * each run twice, on PostgreSQL + Redis (BullMQ) and on the embedded defaults (PGlite +
 * in-process queue). `npm test` runs them all; `--project 'integration-*'` picks one kind.
 */
export default defineConfig({
  test: {
    globalSetup: ['packages/testing/src/global-setup.ts'],
    // Test files mostly wait on the processes, servers and browsers they start: one more at
    // once than there are cores (vitest's default is one fewer). On 2 cores, three at once
    // ran the suite in 7.7 minutes where two took 14.5.
    maxWorkers: availableParallelism() + 1,
    testTimeout: 60_000,
    hookTimeout: 90_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'sdk/js/test/**/*.test.ts'],
          exclude: sdkE2e,
        },
      },
      ...(['postgres', 'embedded'] as const).flatMap((backend) => [
        { extends: true as const, test: { name: `integration-${backend}`, include: integration, env: { HOOKLINE_TEST_BACKEND: backend } } },
        {
          extends: true as const,
          test: {
            name: `e2e-${backend}`,
            include: backend === 'postgres' ? [...e2e, ...sdkE2e] : e2e,
            env: { HOOKLINE_TEST_BACKEND: backend },
          },
        },
      ]),
    ],
  },
});

import { defineConfig } from 'vitest/config';

const integration = ['test/**/*.test.ts'];

/**
 * Unit tests sit beside the code. The integration suite (test/) runs twice: on PostgreSQL
 * + Redis (BullMQ) and on the embedded defaults (PGlite + in-process queue).
 */
export default defineConfig({
  test: {
    globalSetup: ['packages/testing/src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'sdk/js/test/**/*.test.ts'] },
      },
      { extends: true, test: { name: 'postgres', include: integration, env: { HOOKLINE_TEST_BACKEND: 'postgres' } } },
      { extends: true, test: { name: 'embedded', include: integration, env: { HOOKLINE_TEST_BACKEND: 'embedded' } } },
    ],
  },
});

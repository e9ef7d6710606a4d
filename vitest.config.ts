import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Scratch temp folder first: the Temporal dev server's data goes there too.
    globalSetup: ['test/setup/scratch-tmpdir.ts', 'test/setup/temporal-server.ts'],
    // Native addons (onnxruntime-node, the Temporal core bridge) are happiest in processes.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores here: integration tests each start workers; don't oversubscribe.
    maxWorkers: 2,
    // Injected faults make workers log warnings by design; keep the output readable.
    env: { TAGFLOW_LOG_LEVEL: 'ERROR' },
  },
});

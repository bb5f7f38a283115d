import { defineConfig } from 'vitest/config';

// Projects (each sets its timeouts: projects do not inherit the root's): every test on the SIMD128 build, and the kernel/plan tests again on the relaxed
// build in a Node started with relaxed SIMD on (--no-liftoff: Node 20's baseline compiler
// miscomputes the relaxed int8 dot on first call; the engine's self-test refuses it otherwise).
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { test: { name: 'simd', testTimeout: 60_000, hookTimeout: 60_000, include: ['tests/**/*.test.ts'], exclude: ['tests/targets/browser/**', 'tests/targets/workers/**'], env: { AXON_BUILD: 'simd' }, pool: 'forks' } },
      {
        test: {
          name: 'relaxed', testTimeout: 60_000, hookTimeout: 60_000, include: ['tests/kernels/**/*.test.ts', 'tests/plan/**/*.test.ts'], env: { AXON_BUILD: 'relaxed' },
          pool: 'forks', execArgv: ['--experimental-wasm-relaxed-simd', '--no-liftoff'],
        },
      },
      // targets: Node drives real Chromium (playwright-core) and real workerd (miniflare); their tests
      // compare against this Node's results on both builds, so relaxed SIMD is on here too.
      {
        test: {
          name: 'browser', include: ['tests/targets/browser/**/*.test.ts'], environment: 'node', pool: 'forks', testTimeout: 120_000, hookTimeout: 120_000,
          execArgv: ['--experimental-wasm-relaxed-simd', '--no-liftoff'],
        },
      },
      {
        test: {
          name: 'workers', include: ['tests/targets/workers/**/*.test.ts'], environment: 'node', pool: 'forks', testTimeout: 120_000, hookTimeout: 120_000,
          execArgv: ['--experimental-wasm-relaxed-simd', '--no-liftoff'],
        },
      },
    ],
  },
});

// The conformance suite (tests/targets/conformance) in real workerd (miniflare): a Worker runs the
// cases on the Workers target's engine (the .wasm builds imported as modules), once per build, and
// must match the Node target bit for bit (and expected.json for SIMD128; see conformance/compare.ts).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { startWorker } from '../../../targets/workers/miniflare.mjs';
import { expectConformance } from '../conformance/compare.js';

describe('conformance in workerd', () => {
  let dir: string, worker: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-conformance-workers-'));
    await build({
      entryPoints: { conformance: 'tests/targets/conformance/worker-entry.ts' }, outdir: dir, bundle: true, format: 'esm', platform: 'browser',
      conditions: ['workerd', 'worker'], target: 'es2022', logLevel: 'warning', loader: { '.wasm': 'copy' }, assetNames: '[name]',
    });
    worker = await startWorker({ dir, script: 'conformance.js' });
  });
  afterAll(async () => {
    await worker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const b of ['simd', 'relaxed'] as const) {
    it(`every case on the ${b} build = the Node target, bit for bit`, async () => {
      const res = await fetch(`${worker.url}/?build=${b}`);
      const body = await res.text();
      expect(res.status, body.slice(0, 2000)).toBe(200);
      await expectConformance('workerd', b, JSON.parse(body));
    });
  }
});

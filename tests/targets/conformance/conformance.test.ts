// Conformance: every case of cases.ts on the Node target (the JS host with the SIMD128 build) and
// on the standalone WASI program under both hosts (node:wasi, browser_wasi_shim), plus the JS-host
// bundle runner; all must agree bit for bit, and the Node target must reproduce the recorded
// expected.json (which the browser and Workers runners check against). AXON_UPDATE_CONFORMANCE=1
// rewrites expected.json from this run.
import { describe, it, expect, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { setDefaultEngineLoader } from '../../../src/index.js';
import { compileBundle } from '../../../src/wasi/bundle.js';
import { BundleRunner } from '../../../src/wasi/finetune.js';
import { engine } from '../../helpers.js';
import { onBothHosts, bytesOf, expectSameBits } from '../wasi/hosts.js';
import { CASES, EXPECTED, Expected, runJsHost, sha256 } from './cases.js';

setDefaultEngineLoader(() => engine('simd'));
const UPDATE = process.env.AXON_UPDATE_CONFORMANCE === '1';
const recorded: Record<string, Expected> = {};

describe('conformance: Node target = WASI (node:wasi) = WASI (browser_wasi_shim)', () => {
  it('case names are unique and every case has a recorded expectation', () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    if (!UPDATE) for (const c of CASES) expect(EXPECTED[c.name], `${c.name}: not in expected.json (run with AXON_UPDATE_CONFORMANCE=1)`).toBeDefined();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const e = await engine('simd');
      const node = await runJsHost(c, e);
      const digest = await sha256(node);
      recorded[c.name] = { sha256: digest, values: node.length, head: Array.from(node.subarray(0, 4)) };
      if (!UPDATE) {
        const want = EXPECTED[c.name];
        expect(node.length, `${c.name}: value count`).toBe(want.values);
        expect(digest, `${c.name}: the Node target no longer reproduces expected.json (first values ${recorded[c.name].head} vs ${want.head}); if a kernel changed on purpose, regenerate with AXON_UPDATE_CONFORMANCE=1`).toBe(want.sha256);
      }
      const x = c.x(), y = c.y?.();
      const bundle = await compileBundle(c.model(e), { batch: c.batch, epochs: c.epochs ?? 0, samples: c.kind === 'fit' ? c.rows : 0 });
      const runner = new BundleRunner(e, bundle);
      try {
        expectSameBits(c.kind === 'predict' ? runner.infer(x) : runner.finetune(x, y!, c.epochs!).weights, node, `${c.name}: JS-host bundle runner`);
      } finally { runner.dispose(); }
      const args = c.kind === 'predict' ? ['infer', '@m.axb', '@x.bin', '@out.bin'] : ['finetune', '@m.axb', '@x.bin', '@y.bin', String(c.epochs), '@out.bin'];
      const files: Record<string, Uint8Array> = { 'm.axb': bundle, 'x.bin': bytesOf(x), ...(y ? { 'y.bin': bytesOf(y) } : {}) };
      for (const r of await onBothHosts(args, files)) {
        expect(r.code, `${c.name} on ${r.host}: ${r.stderr}`).toBe(0);
        expectSameBits(r.files.get('out.bin'), node, `${c.name} on ${r.host}`);
      }
    });
  }

  afterAll(() => {
    if (UPDATE && Object.keys(recorded).length === CASES.length) {
      writeFileSync(new URL('./expected.json', import.meta.url), JSON.stringify(recorded, null, 2) + '\n');
    }
  });
});

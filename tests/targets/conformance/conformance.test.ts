// Conformance: every case of cases.ts on the Node target (the JS host with the SIMD128 build) and
// on the standalone WASI program under both hosts (node:wasi, browser_wasi_shim), plus the JS-host
// bundle runner; all must agree bit for bit. The Node target must also reproduce expected.json
// (exactly when build/axon.simd.wasm is the recorded build, else closely: see cases.ts), which the
// browser and Workers runners check against. AXON_UPDATE_CONFORMANCE=1 rewrites expected.json.
import { describe, it, expect, afterAll } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { setDefaultEngineLoader } from '../../../src/index.js';
import { compileBundle } from '../../../src/wasi/bundle.js';
import { BundleRunner } from '../../../src/wasi/finetune.js';
import { engine } from '../../helpers.js';
import { onBothHosts, bytesOf, expectSameBits } from '../wasi/hosts.js';
import { CASES, EXPECTED, Expected, runJsHost, sha256, checkRecorded } from './cases.js';

setDefaultEngineLoader(() => engine('simd'));
const UPDATE = process.env.AXON_UPDATE_CONFORMANCE === '1';
const recorded: Record<string, Expected> = {};
const simdWasm = sha256(new Uint8Array(readFileSync(new URL('../../../build/axon.simd.wasm', import.meta.url))));

describe('conformance: Node target = WASI (node:wasi) = WASI (browser_wasi_shim)', () => {
  it('case names are unique and every case has a recorded expectation', () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    if (!UPDATE) for (const c of CASES) expect(EXPECTED.cases[c.name], `${c.name}: not in expected.json (run with AXON_UPDATE_CONFORMANCE=1)`).toBeDefined();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const e = await engine('simd');
      const node = await runJsHost(c, e);
      recorded[c.name] = { sha256: await sha256(node), values: Array.from(node) };
      if (!UPDATE) {
        const check = await checkRecorded(c.name, node, await simdWasm);
        if (check.ok && !check.exact) console.warn(`${check.message}; regenerate expected.json with AXON_UPDATE_CONFORMANCE=1 once the kernels settle`);
        expect(check.ok, check.message).toBe(true);
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

  afterAll(async () => {
    if (UPDATE && Object.keys(recorded).length === CASES.length) {
      const cases = Object.fromEntries(CASES.map((c) => [c.name, recorded[c.name]]));
      writeFileSync(new URL('./expected.json', import.meta.url), JSON.stringify({ simdWasmSha256: await simdWasm, cases }) + '\n');
    }
  });
});

// Conformance: every case of cases.ts on the Node target (the JS host with the SIMD128 build) and
// on the standalone WASI program under both hosts (node:wasi, browser_wasi_shim), plus the JS-host
// bundle runner; all must agree bit for bit. The Node target must also reproduce expected.json
// (exactly when build/axon.simd.wasm is the recorded build, else closely: see cases.ts), which the
// browser and Workers runners check against. AXON_UPDATE_CONFORMANCE=1 records cases that are not
// in expected.json yet and keeps the recorded ones (and the recorded build's digest) as they are;
// AXON_UPDATE_CONFORMANCE=all rewrites every case after a deliberate numeric change.
// Several inputs go in as one file each, several outputs come out as one file each; a case with
// runs at several sequence lengths compiles one bundle holding plans for all of them.
import { describe, it, expect, afterAll } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { setDefaultEngineLoader } from '../../../src/index.js';
import { compileBundle } from '../../../src/wasi/bundle.js';
import { BundleRunner } from '../../../src/wasi/finetune.js';
import { engine } from '../../helpers.js';
import { onBothHosts, bytesOf, expectSameBits } from '../wasi/hosts.js';
import { CASES, EXPECTED, Expected, runJsHost, sha256, checkRecorded, feedsOf, targetsOf } from './cases.js';

setDefaultEngineLoader(() => engine('simd'));
const UPDATE = process.env.AXON_UPDATE_CONFORMANCE === '1' || process.env.AXON_UPDATE_CONFORMANCE === 'all';
const REWRITE_ALL = process.env.AXON_UPDATE_CONFORMANCE === 'all';
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
      const m = c.model(e), runs = feedsOf(c, m), ys = c.kind === 'fit' ? targetsOf(c) : [];
      const shapes = runs.map((run) => run.map((f) => f.shape.slice(1)));
      const bundle = await compileBundle(m, { batch: c.batch, epochs: c.epochs ?? 0, samples: c.kind === 'fit' ? c.rows : 0, ...(m.hasOpenAxes ? { shapes } : {}) });
      const runner = new BundleRunner(e, bundle);
      try {
        const got = c.kind === 'predict' ? concat(runs.flatMap((run) => runner.inferAll(run.map((f) => f.data)))) : runner.finetune(runs[0].map((f) => f.data), ys, c.epochs!).weights;
        expectSameBits(got, node, `${c.name}: JS-host bundle runner`);
      } finally { runner.dispose(); }
      const ins = m.inputs.map((_, i) => `x${i}.bin`), outs = m.outputNames.map((_, o) => `out${o}.bin`);
      const hostRuns = c.kind === 'predict'
        ? runs.map((run, r) => ({ args: ['infer', '@m.axb', ...ins.map((f) => `@${f}`), ...outs.map((f) => `@${f}`), ...(r % 2 && runs.length > 1 ? ['--shape', run.map((f) => f.shape.slice(1).join('x')).join(',')] : [])], run }))
        : [{ args: ['finetune', '@m.axb', ...ins.map((f) => `@${f}`), ...ys.map((_, l) => `@y${l}.bin`), String(c.epochs), '@out.bin'], run: runs[0] }];
      const byHost = new Map<string, Uint8Array[]>();
      for (const { args, run } of hostRuns) {
        const files: Record<string, Uint8Array> = { 'm.axb': bundle, ...Object.fromEntries(run.map((f, i) => [ins[i], bytesOf(f.data)])), ...Object.fromEntries(ys.map((y, l) => [`y${l}.bin`, bytesOf(y)])) };
        for (const r of await onBothHosts(args, files)) {
          expect(r.code, `${c.name} on ${r.host}: ${r.stderr}`).toBe(0);
          const list = byHost.get(r.host) ?? [];
          for (const f of c.kind === 'predict' ? outs : ['out.bin']) list.push(r.files.get(f)!);
          byHost.set(r.host, list);
        }
      }
      for (const [host, parts] of byHost) expectSameBits(concatBytes(parts), node, `${c.name} on ${host}`);
    });
  }

  afterAll(async () => {
    if (UPDATE && Object.keys(recorded).length === CASES.length) {
      const keep = (name: string) => !REWRITE_ALL && EXPECTED.cases[name] !== undefined;
      const changed = CASES.filter((c) => keep(c.name) && EXPECTED.cases[c.name].sha256 !== recorded[c.name].sha256).map((c) => c.name);
      if (changed.length) console.warn(`kept the recorded ${changed.join(', ')} (this build computes other bits; AXON_UPDATE_CONFORMANCE=all re-records every case)`);
      const cases = Object.fromEntries(CASES.map((c) => [c.name, keep(c.name) ? EXPECTED.cases[c.name] : recorded[c.name]]));
      const build = REWRITE_ALL || !EXPECTED.simdWasmSha256 ? await simdWasm : EXPECTED.simdWasmSha256;
      writeFileSync(new URL('./expected.json', import.meta.url), JSON.stringify({ simdWasmSha256: build, cases }) + '\n');
    }
  });
});

const concat = (parts: Float32Array[]): Float32Array => new Float32Array(concatBytes(parts.map((p) => bytesOf(p))).buffer);
function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

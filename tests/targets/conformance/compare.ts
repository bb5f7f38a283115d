// Node side of the browser and Workers conformance runners: a host's results must be bit-identical
// to what this Node process computes with the same wasm build (the Node target, live), and, for
// the SIMD128 build, reproduce expected.json (exactly when build/axon.simd.wasm is the recorded
// build; see checkRecorded). The relaxed build is compared live only: it is not bit-identical to
// SIMD128 (fused multiply-adds), so expected.json, which records SIMD128, does not apply to it.
import { expect } from 'vitest';
import { readFileSync } from 'node:fs';
import type { BuildName } from '../../../src/runtime/engine.js';
import { engine } from '../../helpers.js';
import { expectSameBits } from '../wasi/hosts.js';
import { CASES, runJsHost, sha256, checkRecorded } from './cases.js';
import type { HostResults } from './run-all.js';

const simdWasmSha = () => sha256(new Uint8Array(readFileSync(new URL('../../../build/axon.simd.wasm', import.meta.url))));

export async function expectConformance(host: string, build: BuildName, got: HostResults): Promise<void> {
  expect(got.build, `${host} ran another build`).toBe(build);
  expect(Object.keys(got.cases).sort()).toEqual(CASES.map((c) => c.name).sort());
  const e = await engine(build);
  for (const c of CASES) {
    const values = Float32Array.from(got.cases[c.name].values);
    expect(await sha256(values), `${host} ${build} ${c.name}: digest of the returned values`).toBe(got.cases[c.name].sha256);
    expectSameBits(values, await runJsHost(c, e), `${host} ${build} ${c.name} vs the Node target`);
    if (build === 'simd') {
      const check = await checkRecorded(c.name, values, await simdWasmSha());
      expect(check.ok, check.message).toBe(true);
    }
  }
}

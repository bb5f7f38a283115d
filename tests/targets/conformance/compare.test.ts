// The browser and Workers runners' comparison (compare.ts) accepts the Node target's own results
// and rejects a one-ulp change, a wrong digest or a different build.
import { describe, it, expect } from 'vitest';
import { engine } from '../../helpers.js';
import { expectConformance } from './compare.js';
import { runAll, type HostResults } from './run-all.js';
import { sha256 } from './cases.js';

describe('conformance comparison', () => {
  it('accepts identical results and rejects any difference', async () => {
    const good = await runAll(await engine('simd'));
    await expectConformance('node', 'simd', good);
    const copy = (): HostResults => JSON.parse(JSON.stringify(good));
    const ulp = copy(), name = Object.keys(ulp.cases)[3], v = ulp.cases[name].values;
    const bits = new Uint32Array(Float32Array.of(v[5]).buffer); bits[0] += 1; v[5] = new Float32Array(bits.buffer)[0];
    await expect(expectConformance('node', 'simd', ulp)).rejects.toThrow(/digest/);
    ulp.cases[name].sha256 = await sha256(Float32Array.from(v));   // a consistent digest: the values themselves must differ
    await expect(expectConformance('node', 'simd', ulp)).rejects.toThrow(/vs the Node target: first difference at f32 #5/);
    await expect(expectConformance('node', 'relaxed', good)).rejects.toThrow(/ran another build/);
  });
});

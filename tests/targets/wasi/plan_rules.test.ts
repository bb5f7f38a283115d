// The WASI program checks every instruction of every plan against the op registry's rules and
// extents (assembly/wasi/op_check.ts, generated from src/ops.ts) before any kernel runs, and it
// agrees with the JS host (src/compile/plan_check.ts, the same rule text): random edits of plan
// arguments in a bundle re-sealed with a valid checksum are refused by both or by neither, with
// the same message, and what both accept runs without a trap. Also: the header and IO checks that
// the bundle fuzzing found missing, and Node's WASI segfault with arenas of 32 MiB or more.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, layers, setDefaultEngineLoader } from '../../../src/index.js';
import { compileBundle, parseBundle, bundleChecksum, HEADER_BYTES, SEC } from '../../../src/wasi/bundle.js';
import { finetuneBundle } from '../../../src/wasi/finetune.js';
import { OPS } from '../../../src/ops.js';
import { Rng } from '../../../src/runtime/rng.js';
import { engine } from '../../helpers.js';
import { normals } from '../conformance/cases.js';
import { onBothHosts, bytesOf, expectSameBits } from './hosts.js';

setDefaultEngineLoader(() => engine());

const n = 6;
const x = normals(n * 36, 2), y = Int32Array.from({ length: n }, (_, i) => i % 3);
let bundle: Uint8Array;

beforeAll(async () => {
  const m = new Sequential({ inputShape: [6, 6, 1], seed: 3 });
  m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })).add(layers.maxPool2d({ poolSize: 2 }))
    .add(layers.batchNormalization()).add(layers.flatten()).add(layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
  bundle = await compileBundle(m, { batch: 3, epochs: 1, samples: n });
});

const reseal = (c: Uint8Array) => { new DataView(c.buffer, c.byteOffset).setUint32(88, bundleChecksum(c), true); return c; };
const words = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset);

/** [start, bytes, count] of section `kind`. */
function section(b: Uint8Array, kind: number): [number, number, number] {
  const dv = words(b);
  for (let i = 0; i < dv.getUint32(12, true); i++) {
    const e = HEADER_BYTES + i * 16;
    if (dv.getUint32(e, true) === kind) return [dv.getUint32(e + 4, true), dv.getUint32(e + 8, true), dv.getUint32(e + 12, true)];
  }
  throw new Error(`no section ${kind}`);
}

/** Every instruction of every plan: [plan index, byte offset of its op word, op]. */
function instructions(b: Uint8Array): Array<[number, number, (typeof OPS)[number]]> {
  const dv = words(b), [s, , count] = section(b, SEC.PLANS), out: Array<[number, number, (typeof OPS)[number]]> = [];
  for (let j = 0; j < count; j++) {
    const plan = s + dv.getUint32(s + j * 16 + 8, true), nbuf = dv.getUint32(plan + 8, true), ncode = dv.getUint32(plan + 12, true);
    for (let pc = plan + 16 + nbuf * 8, end = pc + ncode * 4; pc < end; pc += 8 + dv.getUint32(pc + 4, true) * 4) out.push([j, pc, OPS[dv.getUint32(pc, true) - 1]]);
  }
  return out;
}

const files = (b: Uint8Array) => ({ 'm.axb': b, 'x.bin': bytesOf(x), 'y.bin': bytesOf(y) });

describe('plans from outside: the op registry\'s rules, in wasm as on the JS host', () => {
  it('every op\'s extents and rules compile (the generator reads the same text)', () => {
    for (const op of OPS) {
      expect(() => op.args.forEach((a) => a.kind === 'ptr' && a.len({})), op.name).not.toThrow();
      expect(() => op.validate?.({}), op.name).not.toThrow();
    }
  });

  it('random argument edits: refused by both or by neither, with the same message; what both accept runs', async () => {
    const r = new Rng(21), ins = instructions(bundle);
    expect(ins.length).toBeGreaterThan(20);
    let refused = 0, accepted = 0;
    for (let t = 0; t < 90; t++) {
      const [, pc, op] = ins[r.int(ins.length)];
      const k = r.int(op.args.length), a = op.args[k], c = bundle.slice(), dv = words(c), at = pc + 8 + 4 * k, was = dv.getUint32(at, true);
      if (a.kind === 'f32') dv.setFloat32(at, [NaN, -1, 0, 2, 1e30][r.int(5)], true);
      else if (a.kind === 'ptr') dv.setUint32(at, r.int(dv.getUint32(at, true) + 3), true);
      else dv.setUint32(at, [0, 1, 2, was + 1, Math.max(0, was - 1), was * 2, 0x7fff0000, r.int(4096)][r.int(8)], true);
      reseal(c);
      let js: string | null = null;
      try { parseBundle(c, 'm.axb'); } catch (e) { js = (e as Error).message; }
      const [run] = await onBothHosts(['infer', '@m.axb', '@x.bin', '@out.bin'], files(c));
      const what = `edit ${t}: ${op.name} argument ${a.name} (was ${was}); JS: ${js}; WASI: ${run.stderr}`;
      expect(run.code === 0, what).toBe(js === null);
      if (js === null) {
        accepted++;
        const [tune] = await onBothHosts(['finetune', '@m.axb', '@x.bin', '@y.bin', '1', '@w.bin'], files(c));
        expect([0, 70], `${what}; finetune: ${tune.stderr}`).toContain(tune.code);
        continue;
      }
      refused++;
      const said = /(instruction \d+ \(\w+\): .*)$/.exec(js);
      if (said && !/must be non-negative|names buffer/.test(said[1])) expect(run.stderr, what).toContain(said[1]);
    }
    expect(refused, 'edits refused').toBeGreaterThan(20);
    expect(accepted, 'edits accepted').toBeGreaterThan(5);
  }, 120_000);

  it('an output that shares the scratch (where the convolution keeps its tap offsets): refused by both, no trap', async () => {
    const [, pc, op] = instructions(bundle).find(([, , o]) => o.name.startsWith('conv2d') && o.args.some((a) => a.name === 'scratch'))!;
    const c = bundle.slice(), arg = (name: string) => pc + 8 + 4 * op.args.findIndex((a) => a.name === name);
    words(c).setUint32(arg('y'), words(c).getUint32(arg('scratch'), true), true);
    let js = '';
    try { parseBundle(reseal(c), 'm.axb'); } catch (e) { js = (e as Error).message; }
    expect(js).toMatch(new RegExp(`instruction \\d+ \\(${op.name}\\): argument scratch shares memory with argument y`));
    for (const run of await onBothHosts(['infer', '@m.axb', '@x.bin', '@out.bin'], files(c))) {
      expect(run.code, run.host).toBe(65);
      expect(run.stderr, run.host).toContain(`(${op.name}): argument scratch shares memory with argument y`);
      expect(run.files.has('out.bin')).toBe(false);
    }
  });

  it('an extent beyond its buffer: exit 65 on both hosts naming the instruction, the argument and the sizes', async () => {
    const [, pc, op] = instructions(bundle).find(([, , o]) => o.name === 'gemm')!;
    const c = bundle.slice(), k = op.args.findIndex((a) => a.name === 'K');
    words(c).setUint32(pc + 8 + 4 * k, 4096, true);
    for (const run of await onBothHosts(['infer', '@m.axb', '@x.bin', '@out.bin'], files(reseal(c)))) {
      expect(run.code, run.host).toBe(65);
      expect(run.stderr, run.host).toMatch(/plan \d+, instruction \d+ \(gemm\): argument \w+ needs \d+ bytes but buffer \d+ has \d+; the bundle is corrupt/);
      expect(run.files.has('out.bin')).toBe(false);
    }
  });

  it('a broken rule (a GEMM flag of 2): exit 65 with the rule\'s own message', async () => {
    const [, pc, op] = instructions(bundle).find(([, , o]) => o.name === 'gemm')!;
    const c = bundle.slice();
    words(c).setUint32(pc + 8 + 4 * op.args.findIndex((a) => a.name === 'transB'), 2, true);
    for (const run of await onBothHosts(['infer', '@m.axb', '@x.bin', '@out.bin'], files(reseal(c)))) {
      expect(run.code, run.host).toBe(65);
      expect(run.stderr, run.host).toMatch(/\(gemm\): transB must be 0 or 1, got 2/);
    }
    expect(() => parseBundle(c)).toThrow(/\(gemm\): transB must be 0 or 1, got 2/);
  });
});

describe('header and IO checks the bundle fuzzing found', () => {
  it('a version-2 bundle without its checksum flag (one flipped bit skipped the checksum): exit 65, parseBundle refuses it', async () => {
    const c = bundle.slice();
    words(c).setUint32(19 * 4, words(c).getUint32(19 * 4, true) & ~4, true);
    for (const run of await onBothHosts(['infer', '@m.axb', '@x.bin', '@out.bin'], files(c))) {
      expect(run.code, run.host).toBe(65);
      expect(run.stderr, run.host).toMatch(/carries no checksum/);
    }
    expect(() => parseBundle(c)).toThrow(/carries no checksum/);
  });

  it('an IO offset that is not a multiple of 4 (a RangeError in the JS host before): exit 65, parseBundle refuses it', async () => {
    const c = bundle.slice(), [s] = section(c, SEC.IO);
    words(c).setUint32(s + 16, words(c).getUint32(s + 16, true) + 1, true);   // input 0's arena offset
    reseal(c);
    for (const run of await onBothHosts(['infer', '@m.axb', '@x.bin', '@out.bin'], files(c))) {
      expect(run.code, run.host).toBe(65);
      expect(run.stderr, run.host).toMatch(/offsets must be multiples of 4/);
    }
    expect(() => parseBundle(c)).toThrow(/offsets must be multiples of 4/);
  });

  it('a parameter offset that is not a multiple of 4 (a fuzz mutant: a RangeError in the JS host\'s weights()): both hosts fine-tune it alike', async () => {
    const c = bundle.slice(), [s] = section(c, SEC.PARAMS);
    words(c).setUint32(s, words(c).getUint32(s, true) + 2, true);   // parameter 0's arena offset
    reseal(c);
    const runs = await onBothHosts(['finetune', '@m.axb', '@x.bin', '@y.bin', '1', '@w.bin'], files(c));
    for (const run of runs) expect(run.code, `${run.host}: ${run.stderr}`).toBe(0);
    const js = finetuneBundle(await engine(), c, x, y, 1).weights;
    for (const run of runs) expectSameBits(run.files.get('w.bin'), js, run.host);
  });

  it('an arena of 40 MiB (Node 20\'s WASI segfaulted from 32 MiB on): runs on both hosts with the same output', async () => {
    const want = (await onBothHosts(['infer', '@m.axb', '@x.bin', '@out.bin'], files(bundle)))[0].files.get('out.bin')!;
    const c = bundle.slice();
    words(c).setUint32(4 * 4, 40 << 20, true);
    for (const run of await onBothHosts(['infer', '@m.axb', '@x.bin', '@out.bin'], files(reseal(c)))) {
      expect(run.code, `${run.host}: ${run.stderr}`).toBe(0);
      expectSameBits(run.files.get('out.bin'), want, run.host);
    }
  });
});

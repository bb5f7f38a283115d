// Bad bundles, missing or wrong-sized files, bad arguments: the WASI program prints one
// "axon.wasi: ..." line on stderr and exits nonzero (64 usage, 65 bad data, 66 unreadable input,
// 70 non-finite training, 73 unwritable output) on both hosts, writing no output; the TS reader
// (parseBundle) and the JS-host runner refuse the same bundles.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, layers, setDefaultEngineLoader, AxonError } from '../../../src/index.js';
import { compileBundle, parseBundle, bundleChecksum, HEADER_BYTES, SEC } from '../../../src/wasi/bundle.js';
import { BundleRunner } from '../../../src/wasi/finetune.js';
import { engine } from '../../helpers.js';
import { normals } from '../conformance/cases.js';
import { onBothHosts, bytesOf } from './hosts.js';

setDefaultEngineLoader(() => engine());

const n = 12, F = 3;
const x = normals(n * F, 1), y = Int32Array.from({ length: n }, (_, i) => i % 2);
let bundle: Uint8Array, inferOnly: Uint8Array;

function model(lr = 0.01, loss = 'sparseCategoricalCrossentropy'): Sequential {
  const m = new Sequential({ inputShape: [F], seed: 5 });
  m.add(layers.dense({ units: 4, activation: 'relu' })).add(layers.dense({ units: 2, activation: loss === 'mse' ? 'linear' : 'softmax' }));
  return m.compile({ optimizer: { type: 'sgd', lr }, loss });
}

/** [start, bytes, count] of a section kind. */
function section(b: Uint8Array, kind: number): [number, number, number] {
  const dv = new DataView(b.buffer, b.byteOffset);
  for (let i = 0; i < dv.getUint32(12, true); i++) {
    const e = HEADER_BYTES + i * 16;
    if (dv.getUint32(e, true) === kind) return [dv.getUint32(e + 4, true), dv.getUint32(e + 8, true), dv.getUint32(e + 12, true)];
  }
  throw new Error(`no section ${kind}`);
}
/** `b` with the word at `at` set, re-sealed with a valid checksum (so the structural checks must catch it). */
function patched(b: Uint8Array, at: number, value: number): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(at, value, true);
  if (c.length >= HEADER_BYTES && at !== 88) new DataView(c.buffer).setUint32(88, bundleChecksum(c), true);
  return c;
}

beforeAll(async () => {
  bundle = await compileBundle(model(), { batch: 4, epochs: 2, samples: n });
  inferOnly = await compileBundle(model(), { batch: 4 });
});

async function expectFailure(args: string[], files: Record<string, Uint8Array>, code: number, msg: RegExp, output = 'out.bin'): Promise<void> {
  for (const r of await onBothHosts(args, files)) {
    expect(r.code, `${r.host}: exit code (stderr: ${r.stderr})`).toBe(code);
    expect(r.stderr, r.host).toMatch(/^axon\.wasi: /);
    expect(r.stderr, r.host).toMatch(msg);
    expect(r.files.has(output), `${r.host}: ${output} must not be written`).toBe(false);
  }
}

describe('bad bundles', () => {
  const bad: Array<[string, () => Uint8Array, RegExp]> = [
    ['bad magic', () => patched(bundle, 0, 0x12345678), /not an Axon WASI bundle \(bad magic\)/],
    ['unsupported version', () => patched(bundle, 4, 9), /bundle version 9 is not supported/],
    ['truncated file', () => bundle.slice(0, bundle.length - 16), /the header says \d+ bytes but the file has \d+ \(truncated\?\)/],
    ['shorter than a header', () => bundle.slice(0, 40), /40 bytes is too short/],
    ['section outside the file', () => patched(bundle, HEADER_BYTES + 4, bundle.length), /lies outside the file/],
    ['image segment outside the arena', () => { const [s] = section(bundle, SEC.IMAGE); return patched(bundle, s, 0x7ffffff0); }, /image segment 0 lies outside the \d+-byte arena/],
    ['input buffer outside the arena', () => patched(bundle, 8 * 4, 0x7ffffff0), /input buffer lies outside/],
  ];
  for (const [what, make, msg] of bad) {
    it(`${what}: exit 65 on both hosts; parseBundle refuses it too`, async () => {
      const b = make();
      await expectFailure(['infer', '@m.axb', '@x.bin', '@out.bin'], { 'm.axb': b, 'x.bin': bytesOf(x) }, 65, msg);
      expect(() => parseBundle(b)).toThrow(AxonError);
    });
  }

  it('a plan with an unknown opcode: exit 65 (plan_validate), and the JS-host runner refuses it', async () => {
    const [s] = section(bundle, SEC.PLANS);
    const dv = new DataView(bundle.buffer, bundle.byteOffset);
    const planStart = s + dv.getUint32(s + 8, true), nbuf = dv.getUint32(planStart + 8, true);
    const b = patched(bundle, planStart + 16 + nbuf * 8, 9999);
    await expectFailure(['infer', '@m.axb', '@x.bin', '@out.bin'], { 'm.axb': b, 'x.bin': bytesOf(x) }, 65, /plan 0 is invalid \(error -5\)/);
    expect(() => new BundleRunner(engineSync!, b)).toThrow(/unknown op code 9999/);
  });

  it('a flipped bit anywhere (3 flipped header bits segfaulted the host before): the checksum refuses it, exit 65 on both hosts and in parseBundle', async () => {
    for (const at of [33, 200, bundle.length - 5]) {
      const b = bundle.slice(); b[at] ^= 0x10;
      await expectFailure(['infer', '@m.axb', '@x.bin', '@out.bin'], { 'm.axb': b, 'x.bin': bytesOf(x) }, 65, /checksum mismatch/);
      expect(() => parseBundle(b)).toThrow(/checksum mismatch/);
    }
  });

  it('a plan argument whose extent passes its buffer: the JS host refuses it with the op registry\'s rule', async () => {
    const [s] = section(bundle, SEC.PLANS);
    const dv = new DataView(bundle.buffer, bundle.byteOffset);
    const planStart = s + dv.getUint32(s + 8, true), nbuf = dv.getUint32(planStart + 8, true), code = planStart + 16 + nbuf * 8;
    const argc = dv.getUint32(code + 4, true);
    // the first instruction's last integer argument (a size) made huge: buffers no longer hold what the op needs
    const b = patched(bundle, code + 8 + (argc - 1) * 4, 0x7fff0000);
    expect(() => parseBundle(b)).toThrow(/plan 0: instruction 0/);
  });

  it('a plan buffer beyond memory: exit 65', async () => {
    const [s] = section(bundle, SEC.PLANS);
    const dv = new DataView(bundle.buffer, bundle.byteOffset);
    const planStart = s + dv.getUint32(s + 8, true);
    await expectFailure(['infer', '@m.axb', '@x.bin', '@out.bin'], { 'm.axb': patched(bundle, planStart + 16, 0xfff00000), 'x.bin': bytesOf(x) }, 65, /plan 0 is invalid \(error -4\)/);
  });
});

let engineSync: Awaited<ReturnType<typeof engine>> | undefined;
beforeAll(async () => { engineSync = await engine(); });

describe('files and arguments', () => {
  const files = () => ({ 'm.axb': bundle, 'x.bin': bytesOf(x), 'y.bin': bytesOf(y) });
  it('missing bundle: exit 66', () => expectFailure(['infer', '@nope.axb', '@x.bin', '@out.bin'], files(), 66, /bundle \S*nope\.axb: cannot open it \(NOENT\)/));
  it('missing input: exit 66', () => expectFailure(['infer', '@m.axb', '@nope.bin', '@out.bin'], files(), 66, /input \S*nope\.bin: cannot open it/));
  it('input not a whole number of rows: exit 65', () => expectFailure(['infer', '@m.axb', '@y.bin', '@out.bin'], { ...files(), 'y.bin': new Uint8Array(20) }, 65, /20 bytes is not a whole number of rows of 3 f32 \(12 bytes\)/));
  it('x of the wrong size: exit 65', () => expectFailure(['finetune', '@m.axb', '@y.bin', '@y.bin', '1', '@out.bin'], files(), 65, /x \S*y\.bin: 48 bytes, but the bundle was compiled for 12 rows of 3 f32 \(144 bytes\)/));
  it('y of the wrong size: exit 65', () => expectFailure(['finetune', '@m.axb', '@x.bin', '@x.bin', '1', '@out.bin'], files(), 65, /y \S*x\.bin: 144 bytes, but the bundle was compiled for 12 rows of 1 i32 class ids/));
  it('label out of range: exit 65', () => expectFailure(['finetune', '@m.axb', '@x.bin', '@y.bin', '1', '@out.bin'], { ...files(), 'y.bin': bytesOf(Int32Array.from(y, (v, i) => (i === 5 ? 2 : v))) }, 65, /label 2 of sample 5 is not a class id in \[0, 2\)/));
  it('non-finite x: exit 65', () => expectFailure(['finetune', '@m.axb', '@x.bin', '@y.bin', '1', '@out.bin'], { ...files(), 'x.bin': bytesOf(Float32Array.from(x, (v, i) => (i === 7 ? NaN : v))) }, 65, /non-finite value at sample 2/));
  for (const e of ['0', '3', 'two', '']) it(`epochs "${e}": exit 64`, () => expectFailure(['finetune', '@m.axb', '@x.bin', '@y.bin', e, '@out.bin'], files(), 64, /epochs/));
  it('fine-tuning an inference-only bundle: exit 65', () => expectFailure(['finetune', '@m.axb', '@x.bin', '@y.bin', '1', '@out.bin'], { ...files(), 'm.axb': inferOnly }, 65, /compiled without fine-tuning/));
  it('no command / unknown command / wrong arity: exit 64 with usage', async () => {
    await expectFailure([], files(), 64, /usage:/);
    await expectFailure(['train', '@m.axb'], files(), 64, /unknown command "train"/);
    await expectFailure(['infer', '@m.axb', '@x.bin'], files(), 64, /usage:/);
  });
  it('output outside every preopened directory: exit 73', () => expectFailure(['infer', '@m.axb', '@x.bin', '/elsewhere/out.bin'], files(), 73, /output \/elsewhere\/out\.bin: no preopened directory contains it/));
  it('training that diverges: exit 70 naming the step, no weights written; the JS-host runner throws NOT_FINITE', async () => {
    const b = await compileBundle(model(1e30, 'mse'), { batch: 4, epochs: 2, samples: n });
    const yy = bytesOf(normals(n * 2, 3, 1e6));
    await expectFailure(['finetune', '@m.axb', '@x.bin', '@y.bin', '2', '@out.bin'], { 'm.axb': b, 'x.bin': bytesOf(x), 'y.bin': yy }, 70, /training stopped at epoch \d+, step \d+: non-finite values/);
    const r = new BundleRunner(engineSync!, b);
    try { expect(() => r.finetune(x, new Float32Array(yy.buffer), 2)).toThrow(/non-finite/); } finally { r.dispose(); }
  });
});

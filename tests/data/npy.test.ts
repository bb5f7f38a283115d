// NPY reader against files numpy wrote (tests/data/fixtures/make_npy.py), writer round trips, and
// every refusal naming the file and the dtype.
import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy, encodeNpy } from '../../src/data/npy.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { expectBad } from './expect-bad.js';

const fixture = (f: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${f}`, import.meta.url)));
const load = (f: string) => parseNpy(fixture(f), f);
const ramp = (n: number, float: boolean) => Array.from({ length: n }, (_, i) => (float ? i * 1.5 - 3 : i - 3));

describe('parseNpy on numpy-written files', () => {
  it.each([
    ['f4-2x3.npy', 'f32', [2, 3], ramp(6, true)],
    ['f8-4.npy', 'f32', [4], ramp(4, true)],
    ['i4-2x2x2.npy', 'i32', [2, 2, 2], ramp(8, false)],
    ['i8-5.npy', 'i32', [5], ramp(5, false)],
    ['u1-3x4.npy', 'u8', [3, 4], Array.from({ length: 12 }, (_, i) => i)],
    ['i1-6.npy', 'i8', [6], ramp(6, false)],
    ['f4-v2.npy', 'f32', [2, 3], ramp(6, true)],
    ['f4-v3.npy', 'f32', [2, 3], ramp(6, true)],
    ['f4-scalar.npy', 'f32', [], [2.5]],
    ['f4-0x3.npy', 'f32', [0, 3], []],
  ])('%s → %s %j', (f, dtype, shape, values) => {
    const t = load(f);
    expect([t.dtype, t.shape]).toEqual([dtype, shape]);
    expect(t.toArray()).toEqual(values);
  });

  it.each([
    ['f4-bigendian.npy', /'>f4'.*big-endian/],
    ['f4-fortran.npy', /Fortran-order/],
    ['u2-3.npy', /dtype '<u2' is not supported/],
    ['object.npy', /dtype '\|O' is not supported.*object/],
    ['record.npy', /structured/],
    ['i8-big.npy', /'<i8' element 1 does not fit in int32/],
  ])('%s is refused', (f, msg) => expectBad(() => load(f), 'BAD_DATA', f, msg));
});

describe('parseNpy on damaged bytes', () => {
  const good = fixture('f4-2x3.npy');
  it('wrong magic', () => expectBad(() => parseNpy(new TextEncoder().encode('hello world, not numpy'), 'x.npy'), 'BAD_DATA', /^x\.npy: not an \.npy file/));
  it('truncated body', () => expectBad(() => parseNpy(good.subarray(0, good.length - 3), 'cut.npy'), 'BAD_DATA', 'cut.npy', /truncated.*needs 24 bytes but the file has 21/));
  it('truncated header', () => expectBad(() => parseNpy(good.subarray(0, 40), 'cut.npy'), 'BAD_DATA', 'cut.npy', /inside the \.npy header/));
  it('trailing bytes', () => expectBad(() => parseNpy(new Uint8Array([...good, 0]), 'long.npy'), 'BAD_DATA', 'long.npy', /1 unexpected bytes/));
  it('unknown version', () => {
    const b = good.slice(); b[6] = 9;
    expectBad(() => parseNpy(b, 'v9.npy'), 'BAD_DATA', 'v9.npy', /version 9\.0/);
  });
  it('reads from an unaligned offset inside a larger buffer', () => {
    const big = new Uint8Array(good.length + 1); big.set(good, 1);
    expect(parseNpy(big.subarray(1), 'off.npy').toArray()).toEqual(ramp(6, true));
  });
});

describe('encodeNpy', () => {
  it.each([
    Tensor.from([1.5, -2, 3e-8, 4, 5, 6], [2, 3], 'f32'),
    Tensor.from([-7, 0, 2 ** 31 - 1], [3], 'i32'),
    Tensor.from([0, 255, 16], [1, 1, 3], 'u8'),
    Tensor.from([-128, 127], [2], 'i8'),
    Tensor.from([2.5], [], 'f32'),
    Tensor.zeros([0, 4]),
  ])('round trip %#', (t) => {
    const bytes = encodeNpy(t);
    const back = parseNpy(bytes, 'rt.npy');
    expect([back.dtype, back.shape, back.toArray()]).toEqual([t.dtype, t.shape, t.toArray()]);
    const headerEnd = bytes.indexOf(0x0a) + 1;
    expect(headerEnd % 64).toBe(0);
  });

  it('writes a v2 header when the shape is too long for v1', () => {
    const t = Tensor.zeros(new Array(25000).fill(1), 'u8');
    const bytes = encodeNpy(t);
    expect(bytes[6]).toBe(2);
    expect(parseNpy(bytes, 'v2.npy').shape.length).toBe(25000);
  });

  const numpy = existsSync('/usr/bin/python3') && (() => {
    try { execFileSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' }); return true; } catch { return false; }
  })();
  it.skipIf(!numpy)('numpy.load reads what encodeNpy writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-npy-'));
    const cases: [string, Tensor][] = [
      ['a.npy', Tensor.from([1.5, -2, 3, 4, 5, 6], [2, 3], 'f32')], ['b.npy', Tensor.from([-7, 9], [2], 'i32')],
      ['c.npy', Tensor.from([0, 200], [1, 2], 'u8')], ['d.npy', Tensor.from([-3], [], 'i8')],
    ];
    for (const [f, t] of cases) writeFileSync(join(dir, f), encodeNpy(t));
    const out = execFileSync('/usr/bin/python3', ['-c',
      'import sys, json, numpy as np; print(json.dumps([[str(a.dtype), list(a.shape), a.ravel().tolist()] for a in (np.load(f) for f in sys.argv[1:])]))',
      ...cases.map(([f]) => join(dir, f))], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([
      ['float32', [2, 3], [1.5, -2, 3, 4, 5, 6]], ['int32', [2], [-7, 9]], ['uint8', [1, 2], [0, 200]], ['int8', [], [-3]],
    ]);
  });
});

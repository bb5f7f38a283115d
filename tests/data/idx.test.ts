// IDX reader on hand-built files of every element type and on the real Fashion-MNIST t10k files
// (skipped when /usr/share/datasets/fashion-mnist is absent), gzip handling, and damaged files.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parseIdx, gunzipIfNeeded } from '../../src/data/idx.js';
import { expectBad, expectBadAsync } from './expect-bad.js';

/** Big-endian IDX bytes: magic 00 00 type rank, dims, then values written by `put`. */
function idx(type: number, shape: number[], values: number[]): Uint8Array {
  const size = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 }[type]!;
  const dv = new DataView(new ArrayBuffer(4 + 4 * shape.length + size * values.length));
  dv.setUint32(0, (type << 8) | shape.length);
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d));
  const o = 4 + 4 * shape.length;
  const put = { 0x08: dv.setUint8, 0x09: dv.setInt8, 0x0b: dv.setInt16, 0x0c: dv.setInt32, 0x0d: dv.setFloat32, 0x0e: dv.setFloat64 }[type]!;
  values.forEach((v, i) => put.call(dv, o + i * size, v, false));
  return new Uint8Array(dv.buffer);
}

describe('parseIdx', () => {
  it.each([
    [0x08, 'u8', [2, 3], [0, 1, 2, 253, 254, 255]],
    [0x09, 'i8', [4], [-128, -1, 0, 127]],
    [0x0b, 'i32', [2, 2], [-32768, -2, 300, 32767]],
    [0x0c, 'i32', [3], [-(2 ** 31), 70000, 2 ** 31 - 1]],
    [0x0d, 'f32', [1, 2], [1.5, -0.25]],
    [0x0e, 'f32', [2], [0.5, -1e10]],
    [0x08, 'u8', [], [7]],
  ])('type code %i → %s %j', (type, dtype, shape, values) => {
    const t = parseIdx(idx(type, shape, values), 'a.idx');
    expect([t.dtype, t.shape, t.toArray()]).toEqual([dtype, shape, dtype === 'f32' ? values.map(Math.fround) : values]);
  });

  it('wrong magic', () => expectBad(() => parseIdx(new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]), 'bad-idx3-ubyte'), 'BAD_DATA', /^bad-idx3-ubyte: not an IDX file: magic 0x01020801/));
  it('gzip not unwrapped', () => expectBad(() => parseIdx(gzipSync(idx(8, [1], [1])), 'x.gz'), 'BAD_DATA', 'x.gz', /gunzip it first/));
  it('unknown type code', () => expectBad(() => parseIdx(new Uint8Array([0, 0, 0x0a, 1, 0, 0, 0, 1, 5]), 'odd.idx'), 'BAD_DATA', 'odd.idx', /type code 0xa/));
  it('truncated header', () => expectBad(() => parseIdx(idx(8, [2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 9), 'cut.idx'), 'BAD_DATA', 'cut.idx', /inside the IDX header/));
  it('truncated body', () => expectBad(() => parseIdx(idx(0x0d, [2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 30), 'cut.idx'), 'BAD_DATA', 'cut.idx', /truncated: shape \[2,3\] needs 24 bytes but the file has 18/));
  it('trailing bytes', () => expectBad(() => parseIdx(new Uint8Array([...idx(8, [1], [1]), 9, 9]), 'long.idx'), 'BAD_DATA', 'long.idx', /2 unexpected bytes/));
});

describe('gunzipIfNeeded', () => {
  const raw = idx(0x0d, [3, 2], [1, 2, 3, 4, 5, 6]);
  it('passes plain bytes through', async () => expect(await gunzipIfNeeded(raw)).toBe(raw));
  it('gunzips', async () => expect(parseIdx(await gunzipIfNeeded(gzipSync(raw)), 'a.gz').toArray()).toEqual([1, 2, 3, 4, 5, 6]));
  it('gunzips a large multi-chunk body', async () => {
    const big = new Uint8Array(1 << 20).map((_, i) => (i * 7919) & 255);
    expect(Buffer.compare(await gunzipIfNeeded(gzipSync(big)), big)).toBe(0);
  });
  it('truncated gzip', async () => {
    const gz = gzipSync(new Uint8Array(5000).map((_, i) => i * 31));
    await expectBadAsync(() => gunzipIfNeeded(gz.subarray(0, gz.length - 20), 'cut.gz'), 'BAD_DATA', /^cut\.gz: gzip data is corrupt or truncated/);
  });
});

const DIR = '/usr/share/datasets/fashion-mnist';
describe.skipIf(!existsSync(`${DIR}/t10k-images-idx3-ubyte.gz`))('Fashion-MNIST t10k (real files)', () => {
  it('images: u8 [10000, 28, 28]; labels: u8 [10000], 1000 per class', async () => {
    const x = parseIdx(await gunzipIfNeeded(readFileSync(`${DIR}/t10k-images-idx3-ubyte.gz`)), 't10k-images');
    const y = parseIdx(await gunzipIfNeeded(readFileSync(`${DIR}/t10k-labels-idx1-ubyte.gz`)), 't10k-labels');
    expect([x.dtype, x.shape, y.dtype, y.shape]).toEqual(['u8', [10000, 28, 28], 'u8', [10000]]);
    const counts = new Array(10).fill(0);
    for (const v of y.data) counts[v]++;
    expect(counts).toEqual(new Array(10).fill(1000));
    expect(Math.max(...x.data.subarray(0, 784))).toBeGreaterThan(200);
    expect(y.toArray().slice(0, 5)).toEqual([9, 2, 1, 1, 6]); // ankle boot, pullover, trouser, trouser, shirt
  });
});

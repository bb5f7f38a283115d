// Node helpers: readDataset by extension, streamBatches over plain and gzipped NPY/IDX files
// (concatenated batches equal the whole file), and the shipped digits dataset.
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset, streamBatches, formatOf } from '../../targets/node/data.js';
import { encodeNpy } from '../../src/data/npy.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { expectBad, expectBadAsync } from './expect-bad.js';

let dir = '';
const big = Tensor.from(Array.from({ length: 1003 * 5 }, (_, i) => i * 0.5 - 7), [1003, 5], 'f32');
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'axon-data-'));
  writeFileSync(join(dir, 'big.npy'), encodeNpy(big));
  writeFileSync(join(dir, 'big.npy.gz'), gzipSync(encodeNpy(big)));
  const idx = new Uint8Array([0, 0, 8, 2, 0, 0, 0, 5, 0, 0, 0, 3, ...Array.from({ length: 15 }, (_, i) => i)]);
  writeFileSync(join(dir, 'small-idx2-ubyte'), idx);
  writeFileSync(join(dir, 'small-idx2-ubyte.gz'), gzipSync(idx));
  writeFileSync(join(dir, 'cut.npy'), encodeNpy(big).subarray(0, 500));
  writeFileSync(join(dir, 't.tsv'), 'a\tb\ty\n1\t2\tcat\n3\t4\tdog\n');
  writeFileSync(join(dir, 'x.parquet'), 'PAR1');
});

async function collect(path: string, b: number): Promise<Tensor[]> {
  const out: Tensor[] = [];
  for await (const t of streamBatches(path, b)) out.push(t);
  return out;
}

describe('readDataset', () => {
  it.each([
    ['a.npy', 'npy'], ['a.NPY.gz', 'npy'], ['d.csv', 'csv'], ['d.tsv.gz', 'csv'], ['train-images-idx3-ubyte.gz', 'idx'],
    ['t10k-labels-idx1-ubyte', 'idx'], ['x.idx', 'idx'], ['x.idx3', 'idx'],
  ])('%s → %s', (f, fmt) => expect(formatOf(f)).toBe(fmt));
  it('unknown extension', () => expectBad(() => formatOf('/d/x.parquet'), 'BAD_DATA', /^\/d\/x\.parquet: unknown dataset format/));
  it('npy, gzipped npy, idx, tsv with class names', async () => {
    expect((await readDataset(join(dir, 'big.npy'))).x.toArray()).toEqual(big.toArray());
    expect((await readDataset(join(dir, 'big.npy.gz'))).x.shape).toEqual([1003, 5]);
    expect((await readDataset(join(dir, 'small-idx2-ubyte.gz'))).x.shape).toEqual([5, 3]);
    const t = await readDataset(join(dir, 't.tsv'), { labelColumn: 'y' });
    expect([t.x.toArray(), t.classes, t.y!.toArray()]).toEqual([[1, 2, 3, 4], ['cat', 'dog'], [0, 1]]);
  });
  it('missing file → IO error naming it', () => expectBadAsync(() => readDataset(join(dir, 'nope.npy')), 'IO', /nope\.npy: file not found/));
  it('truncated file → BAD_DATA naming it', () => expectBadAsync(() => readDataset(join(dir, 'cut.npy')), 'BAD_DATA', /cut\.npy: the data is truncated/));
});

describe('streamBatches', () => {
  it.each([['big.npy', 64], ['big.npy.gz', 100], ['big.npy', 2000], ['small-idx2-ubyte', 2], ['small-idx2-ubyte.gz', 4]])('%s in batches of %i', async (f, b) => {
    const parts = await collect(join(dir, f), b);
    const whole = (await readDataset(join(dir, f))).x;
    const n = whole.shape[0];
    expect(parts.map((p) => p.shape[0])).toEqual(Array.from({ length: Math.ceil(n / b) }, (_, i) => Math.min(b, n - i * b)));
    expect(parts.flatMap((p) => p.toArray())).toEqual(whole.toArray());
    expect(parts[0].shape.slice(1)).toEqual(whole.shape.slice(1));
  });
  it('truncated file → typed error at the missing record', () => expectBadAsync(() => collect(join(dir, 'cut.npy'), 100), 'BAD_DATA', /cut\.npy: the data is truncated: record 18 of 1003 is missing/));
  it('CSV and bad batch sizes are refused', async () => {
    await expectBadAsync(() => collect(join(dir, 't.tsv'), 10), 'UNSUPPORTED', /t\.tsv: CSV files are read whole/);
    await expectBadAsync(() => collect(join(dir, 'big.npy'), 0), 'BAD_ARGUMENT', /batch size 0/);
  });
  const FM = '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz';
  it.skipIf(!existsSync(FM))('streams the real Fashion-MNIST t10k labels', async () => {
    const parts = await collect(FM, 4096);
    expect(parts.map((p) => p.shape[0])).toEqual([4096, 4096, 1808]);
  });
});

describe('the shipped digits dataset (models/digits)', () => {
  it('x: u8 [1797, 64] in 0..16; y: u8 [1797] with every class 0..9', async () => {
    const { x } = await readDataset('models/digits/digits-x.npy');
    const { x: y } = await readDataset('models/digits/digits-y.npy');
    expect([x.dtype, x.shape, y.dtype, y.shape]).toEqual(['u8', [1797, 64], 'u8', [1797]]);
    expect(Math.max(...x.data)).toBe(16);
    const counts = new Array(10).fill(0);
    for (const v of y.data) counts[v]++;
    expect(counts).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    expect(y.toArray().slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

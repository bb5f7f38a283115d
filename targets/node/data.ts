// Node-only dataset helpers: read a file with the reader its name asks for, or stream an NPY/IDX
// file (plain or gzipped) in batches without holding it in memory.
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { readError } from './read_error.js';
import { AxonError } from '../../src/errors.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { parseNpy, parseNpyHeader, npyHeaderLength, decodeNpyBody } from '../../src/data/npy.js';
import { parseIdx, parseIdxHeader, decodeIdxBody, gunzipIfNeeded, isGzip } from '../../src/data/idx.js';
import { parseCsv, type CsvOptions } from '../../src/data/csv.js';
import { readWavDir, type WavDirOptions } from './wav_dir.js';

export interface Dataset { x: Tensor; y?: Tensor; columns?: string[]; classes?: string[] }
export type DatasetFormat = 'npy' | 'idx' | 'csv';

/** The reader a file name asks for (a trailing .gz is looked through). */
export function formatOf(path: string): DatasetFormat {
  const base = path.toLowerCase().replace(/\.gz$/, '');
  if (base.endsWith('.npy')) return 'npy';
  if (base.endsWith('.csv') || base.endsWith('.tsv')) return 'csv';
  if (/[.-]idx\d*(-ubyte)?$/.test(base) || base.endsWith('-ubyte')) return 'idx';
  throw new AxonError('BAD_DATA', `${path}: unknown dataset format; use .npy, .csv, .tsv or IDX (.idx, *-idx3-ubyte), optionally .gz`);
}

async function bytesOf(path: string): Promise<Uint8Array> {
  try { return await readFile(path); } catch (e) { throw readError(path, e, 'dataset file'); }
}

/** Reads a whole dataset file: .npy and IDX give {x}; CSV gives {x, y?, columns, classes?}; a directory of <label>/*.wav gives {x, y, classes}. */
export async function readDataset(path: string, csv: CsvOptions = {}, audio: WavDirOptions = {}): Promise<Dataset> {
  if (await stat(path).then((s) => s.isDirectory(), () => false)) return readWavDir(path, audio);
  const format = formatOf(path);
  const bytes = await gunzipIfNeeded(await bytesOf(path), path);
  if (format === 'npy') return { x: parseNpy(bytes, path) };
  if (format === 'idx') return { x: parseIdx(bytes, path) };
  const delimiter = csv.delimiter ?? (/\.tsv(\.gz)?$/i.test(path) ? '\t' : ',');
  return parseCsv(new TextDecoder().decode(bytes), path, { ...csv, delimiter });
}

/** Reads exactly n bytes (fewer only at the end of the data) from a file or a gunzip stream. */
interface Source { read(n: number): Promise<Uint8Array>; close(): Promise<void> }

function fileSource(fh: FileHandle): Source {
  let pos = 0;
  return {
    async read(n) {
      const buf = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(buf, got, n - got, pos);
        if (bytesRead === 0) break;
        got += bytesRead; pos += bytesRead;
      }
      return got === n ? buf : buf.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

function gzipSource(path: string): Source {
  const stream = createReadStream(path).pipe(createGunzip());
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let rest: Uint8Array = new Uint8Array(0);
  return {
    async read(n) {
      const parts: Uint8Array[] = [rest];
      let have = rest.length;
      while (have < n) {
        let r: IteratorResult<Buffer>;
        try { r = await it.next(); } catch (e) { throw new AxonError('BAD_DATA', `${path}: gzip data is corrupt or truncated (${(e as Error).message})`); }
        if (r.done) break;
        parts.push(r.value); have += r.value.length;
      }
      const all = parts.length === 1 ? rest : new Uint8Array(Buffer.concat(parts));
      rest = all.subarray(Math.min(n, all.length));
      return all.subarray(0, Math.min(n, all.length));
    },
    async close() { stream.destroy(); },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a); out.set(b, a.length);
  return out;
}

/**
 * Yields [batchSize, ...] tensors (the last may be smaller) from an NPY or IDX file, plain or
 * gzipped, reading one batch of records at a time.
 */
export async function* streamBatches(path: string, batchSize: number): AsyncGenerator<Tensor> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new AxonError('BAD_ARGUMENT', `${path}: batch size ${batchSize} must be a positive integer`);
  const format = formatOf(path);
  if (format === 'csv') throw new AxonError('UNSUPPORTED', `${path}: CSV files are read whole (readDataset); convert large tables to .npy to stream them`);
  let fh: FileHandle;
  try { fh = await open(path, 'r'); } catch (e) { throw readError(path, e, 'dataset file'); }
  const magic = new Uint8Array(2);
  await fh.read(magic, 0, 2, 0);
  let src: Source = fileSource(fh);
  if (isGzip(magic)) { await fh.close(); src = gzipSource(path); }
  try {
    const pre = await src.read(format === 'npy' ? 12 : 4);
    const need = format === 'npy' ? npyHeaderLength(pre, path) : 4 + 4 * (pre[3] ?? 0);
    const head = concat(pre, await src.read(Math.max(0, need - pre.length)));
    const h = format === 'npy' ? parseNpyHeader(head, path) : parseIdxHeader(head, path);
    if (h.shape.length === 0) throw new AxonError('BAD_DATA', `${path}: holds a scalar; there are no records to batch`);
    const [n, ...rest] = h.shape;
    const recordBytes = rest.reduce((a, b) => a * b, 1) * h.itemBytes;
    for (let i = 0; i < n; i += batchSize) {
      const b = Math.min(batchSize, n - i);
      const body = await src.read(b * recordBytes);
      if (body.length < b * recordBytes) {
        throw new AxonError('BAD_DATA', `${path}: the data is truncated: record ${i + Math.floor(body.length / recordBytes)} of ${n} is missing; download or export it again`);
      }
      yield format === 'npy' ? decodeNpyBody(body, h as ReturnType<typeof parseNpyHeader>, [b, ...rest], path) : decodeIdxBody(body, h as ReturnType<typeof parseIdxHeader>, [b, ...rest]);
    }
  } finally {
    await src.close();
  }
}

// A directory of labelled WAV clips as a dataset: <dir>/<label>/*.wav (the Speech Commands layout).
// Every clip is resampled to the sample rate and fitted to the clip length (src/audio/wav.ts); the
// classes are `labels` in that order (the model's class indices), or the subdirectory names sorted.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AxonError } from '../../src/errors.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { decodeWav, wavToClip } from '../../src/audio/wav.js';
import { readError } from './read_error.js';

export interface WavDirOptions { labels?: string[]; sampleRate?: number; samples?: number }

async function list(dir: string, what: string) {
  try { return await readdir(dir, { withFileTypes: true }); } catch (e) { throw readError(dir, e, what); }
}

export async function readWavDir(dir: string, o: WavDirOptions = {}): Promise<{ x: Tensor; y: Tensor; classes: string[] }> {
  const subdirs = (await list(dir, 'WAV directory')).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const labels = o.labels ?? subdirs;
  for (const s of subdirs) if (!labels.includes(s)) throw new AxonError('BAD_DATA', `${join(dir, s)}: "${s}" is not one of the labels (${labels.join(', ')})`);
  const files: Array<{ path: string; label: number }> = [];
  for (const [k, label] of labels.entries()) {
    if (!subdirs.includes(label)) continue;
    const names = (await list(join(dir, label), 'WAV directory')).filter((f) => f.isFile() && /\.wav$/i.test(f.name)).map((f) => f.name).sort();
    for (const n of names) files.push({ path: join(dir, label, n), label: k });
  }
  if (!files.length) throw new AxonError('BAD_DATA', `${dir}: no .wav files in <label>/ subdirectories (expected ${dir}/<label>/*.wav)`);
  const rate = o.sampleRate ?? 16000;
  const read = async (p: string) => { try { return await readFile(p); } catch (e) { throw readError(p, e, 'WAV file'); } };
  let L = o.samples;
  if (L === undefined) { const c = decodeWav(await read(files[0].path), files[0].path); L = Math.round((c.samples.length * rate) / c.sampleRate); }
  const x = new Float32Array(files.length * L), y = new Int32Array(files.length);
  for (const [r, f] of files.entries()) { x.set(wavToClip(await read(f.path), L, rate, f.path), r * L); y[r] = f.label; }
  return { x: new Tensor(x, [files.length, L]), y: new Tensor(y, [files.length], 'i32'), classes: labels };
}

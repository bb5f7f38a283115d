// A WASI device classifies text with ids made ahead: `axon compile model.axon --text-file lines.txt
// --bin-out dir` tokenizes on the host (the device has no tokenizer) into ids.bin / mask.bin, and
// build/axon.wasi.wasm `infer` under both WASI hosts gives the Node target's scores bit for bit.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { train } from '../../../targets/node/cli/train.js';
import { compile } from '../../../targets/node/cli/compile.js';
import { loadEngine, modelFromBytes, TextModel, Tensor, AxonError } from '../../../targets/node/index.js';
import { onBothHosts, expectSameBits, f32Of } from './hosts.js';

const LINES = ['turn on the lights in the kitchen', 'call mom', 'what is the weather in rome tomorrow', 'add eggs to my shopping list', 'lock the back door'];
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'axon-wasi-text-'));
  await train('models/text/config.json', { out: join(dir, 'model'), epochs: 3, progress: false, build: 'simd' });
  writeFileSync(join(dir, 'lines.txt'), LINES.join('\n') + '\n');
}, 240_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('text on a WASI device (ids encoded ahead)', () => {
  it('axon compile --text-file writes ids.bin / mask.bin; infer on both hosts = the Node target, bit for bit', async () => {
    const model = join(dir, 'model/model.axon');
    const r = await compile(model, { batch: 4, out: join(dir, 'text.axb'), textFile: join(dir, 'lines.txt'), binOut: join(dir, 'bin') });
    expect(r.shapes).toEqual(['32,32']);
    const ids = readFileSync(join(dir, 'bin/ids.bin')), mask = readFileSync(join(dir, 'bin/mask.bin'));
    expect(ids.length).toBe(LINES.length * 32 * 4);
    const { model: m, graph } = modelFromBytes(readFileSync(model), 'model.axon', await loadEngine({ build: 'simd' }));
    const tm = await TextModel.from(m, graph.extra);
    const enc = tm.tokenizer.encode(LINES, { maxLength: 32, padding: 'max_length' });
    expect(new Int32Array(ids.buffer.slice(ids.byteOffset, ids.byteOffset + ids.length))).toEqual(enc.ids.data);
    const want = ((await m.predict({ ids: enc.ids, mask: enc.mask }, { batchSize: 4 })) as Record<string, Tensor>).intent; // the bundle's batch
    const runs = await onBothHosts(['infer', '@m.axb', '@ids.bin', '@mask.bin', '@out.bin'], { 'm.axb': readFileSync(join(dir, 'text.axb')), 'ids.bin': ids, 'mask.bin': mask });
    for (const run of runs) {
      expect(run.code, `${run.host}: ${run.stderr}`).toBe(0);
      expectSameBits(run.files.get('out.bin'), want.data, `${run.host} scores`);
      const p = f32Of(run.files.get('out.bin')!), labels = LINES.map((_, i) => { const row = Array.from(p.subarray(i * 10, i * 10 + 10)); return tm.spec.labels![row.indexOf(Math.max(...row))]; });
      expect(labels).toEqual(['lights_on', 'call_contact', 'weather', 'shopping_list', 'lock_door']);
    }
  });

  it('refuses --text-file without --bin-out, and for a model without a tokenizer', async () => {
    const model = join(dir, 'model/model.axon');
    await expect(compile(model, { batch: 4, out: join(dir, 'x.axb'), textFile: join(dir, 'lines.txt') })).rejects.toThrow(/--text-file needs --bin-out/);
    await expect(compile('targets/workers/template/model/digits.axon', { batch: 4, out: join(dir, 'y.axb'), textFile: join(dir, 'lines.txt'), binOut: dir })).rejects.toThrow(AxonError);
  });
});

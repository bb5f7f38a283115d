// The template Worker classifying WAV bodies in real workerd: a keyword model (melSpectrogram front
// end + a small conv net, labels in the model file) answers POST /predict with content-type
// audio/wav with the scores the Node target computes for the same clip; a 0.5 s or 44.1 kHz
// recording is fitted first; bad WAVs get 400 JSON errors; the digits Worker refuses audio.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildWorkers } from '../../../targets/workers/build.mjs';
import { startWorker } from '../../../targets/workers/miniflare.mjs';
import { loadEngine, Model, layers, modelToBytes, Tensor, encodeWav, wavToClip } from '../../../targets/node/index.js';

type Json = Record<string, any>;
const LABELS = ['silence', 'unknown', 'yes', 'no'];
const post = async (url: string, body: Uint8Array, type = 'audio/wav') => {
  const res = await fetch(`${url}/predict`, { method: 'POST', body: body as unknown as BodyInit, headers: { 'content-type': type } });
  return { status: res.status, json: (await res.json()) as Json };
};
const tone = (n: number, rate: number) => Float32Array.from({ length: n }, (_, k) => 0.3 * Math.sin((2 * Math.PI * 440 * k) / rate) * Math.exp(-(((k / rate) - 0.5) ** 2) * 20));

describe('Workers template serving keyword spotting (workerd)', () => {
  let dir: string, worker: { url: string; close: () => Promise<void> }, digits: { url: string; close: () => Promise<void> }, model: Model;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-workers-kws-'));
    model = new Model({ inputShape: [16000], seed: 5, name: 'kws', engine: await loadEngine({ build: 'simd' }) })
      .add(layers.melSpectrogram({ mfcc: 10 })).add(layers.reshape({ targetShape: [49, 10, 1] }))
      .add(layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu' })).add(layers.flatten()).add(layers.dense({ units: 4, activation: 'softmax' }));
    writeFileSync(join(dir, 'kws.axon'), modelToBytes(model, { extra: { labels: LABELS } }));
    await buildWorkers({ outdir: join(dir, 'out'), model: join(dir, 'kws.axon') });
    worker = await startWorker({ dir: join(dir, 'out'), build: 'simd' });
    await buildWorkers({ outdir: join(dir, 'digits') });
    digits = await startWorker({ dir: join(dir, 'digits'), build: 'simd' });
  }, 240_000);
  afterAll(async () => { await worker?.close(); await digits?.close(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('a WAV body gets the Node target\'s scores and the class name', async () => {
    for (const [x, rate] of [[tone(16000, 16000), 16000], [tone(8000, 16000), 16000], [tone(44100, 44100), 44100]] as const) {
      const wav = encodeWav(x, rate), r = await post(worker.url, wav);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const want = Array.from((await model.predict(Tensor.from(wavToClip(wav, 16000), [1, 16000]))).data);
      expect(r.json.scores).toEqual(want);
      expect(r.json.classNames).toEqual(LABELS);
      expect(r.json.label).toBe(LABELS[want.indexOf(Math.max(...want))]);
    }
  });
  it('refuses bad WAVs and audio for a model that does not take it', async () => {
    const junk = await post(worker.url, new TextEncoder().encode('RIFF0000WAVEnothing here'));
    expect(junk.status).toBe(400); expect(junk.json.code).toBe('BAD_DATA');
    const w = encodeWav(tone(100, 16000), 16000); new DataView(w.buffer).setUint16(20, 2, true);
    expect((await post(worker.url, w)).json.error).toMatch(/not supported/);
    const d = await post(digits.url, encodeWav(tone(16000, 16000), 16000), 'audio/x-wav');
    expect(d.status).toBe(400); expect(d.json.error).toMatch(/does not take audio/);
  });
});

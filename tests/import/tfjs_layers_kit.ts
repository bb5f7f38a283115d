// Shared by the TF.js layers-model import tests: save a tfjs-layers model to in-memory artifacts,
// give it random weights, and compare an Axon import with tfjs's CPU backend (max |diff| recorded).
import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { importTfjsLayers, TfjsModelJson } from '../../src/import/tfjs.js';
import type { TfjsWeightSpec } from '../../src/import/tfjs_weights.js';
import { Tensor } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { randn } from '../helpers.js';
import { maxDiff } from './kit.js';

export type Artifacts = Omit<tf.io.ModelArtifacts, 'weightSpecs' | 'weightData'> & { weightSpecs: TfjsWeightSpec[]; weightData: ArrayBuffer };
export async function save(m: tfl.LayersModel): Promise<Artifacts> {
  let a: tf.io.ModelArtifacts | undefined;
  await m.save(tf.io.withSaveHandler(async (x) => { a = x; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  return a as Artifacts;
}
/** Random weights (positive BN variances), so every weight matters. */
export function randomize(m: tfl.LayersModel, seed: number): void {
  m.setWeights(m.weights.map((w, k) => {
    const shape = w.shape as number[], v = randn(shape.reduce((a, b) => a * b, 1), seed + k, 0.5);
    return tf.tensor(/moving_variance|gamma/.test(w.originalName) ? v.map((x) => 0.5 + Math.abs(x)) : v, shape);
  }));
}

/** Imports `a`, runs both on seeded data (B samples) and checks |diff| <= tol (recorded in err). */
export async function checkTfjs(e: Engine, err: Record<string, number>, label: string, a: Artifacts, inputShape: number[], B = 3, tol = 1e-4): Promise<void> {
  const ref = await tfl.loadLayersModel(tf.io.fromMemory(a as tf.io.ModelArtifacts));
  const x = randn(B * inputShape.reduce((p, q) => p * q, 1), 9);
  const want = (ref.predict(tf.tensor(x, [B, ...inputShape])) as tf.Tensor).dataSync() as Float32Array;
  const { model } = await importTfjsLayers(a as unknown as TfjsModelJson, { engine: e, file: label });
  const got = (await model.predict(new Tensor(x, [B, ...inputShape]))).data as Float32Array;
  err[label] = maxDiff(got, want);
  expect(got.length).toBe(want.length);
  expect(err[label], `${label}: max |axon - tfjs|`).toBeLessThanOrEqual(tol);
}

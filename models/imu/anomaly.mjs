#!/usr/bin/env node
// IMU anomaly detection by reconstruction error (SYNTHETIC data, src/data/imu_sim.ts): a small
// convolutional autoencoder is trained on normal windows of users 0..19 only; the threshold is the 95th
// percentile of its errors on normal windows of users 20..23 (validation, no anomaly seen); then
// precision and recall are counted on unseen users 24..29: their normal windows against falls and
// faulty-sensor windows (the anomaly set of generate.mjs). Writes out/imu/autoencoder.axon and
// models/imu/anomaly.json. Needs the classifier (out/imu/model.axon) for the per-activity thresholds.
//   npm run build && node models/imu/anomaly.mjs [--epochs 40] [--seconds 40] [--quantile 0.95]
import { mkdirSync, writeFileSync } from 'node:fs';
import { Sequential, layers as L, Tensor, Normalizer, loadModel, imuDataset, imuUser, modelToBytes, reconstructionErrors, calibrateThreshold, detectionScores, IMU_FALL, IMU_FAULTY } from '../../dist/node.js';

const arg = (k, d) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? Number(process.argv[i + 1]) : d; };
const EPOCHS = arg('epochs', 40), SECONDS = arg('seconds', 40), QUANTILE = arg('quantile', 0.95), SEED = 16;
const users = (a, b) => Array.from({ length: b - a }, (_, i) => imuUser(a + i, SEED));
const train = imuDataset(users(0, 20), { seconds: SECONDS, seed: SEED });
const val = imuDataset(users(20, 24), { seconds: SECONDS, seed: SEED });
const test = imuDataset(users(24, 30), { seconds: Math.min(SECONDS, 20), falls: 5, faults: 3, seed: SEED + 1 });

const norm = Normalizer.fit(train.x, { per: 'channel' });
const [xt, xv, xs] = [train.x, val.x, test.x].map((x) => norm.apply(x));
const ae = new Sequential({ inputShape: [128, 6], seed: 7, name: 'imu-autoencoder' });
// a convolutional autoencoder: 128 steps × 6 → 16 steps × 8 (the code, 6 times smaller) → 128 × 6
const up = (filters, name) => L.conv2dTranspose({ filters, kernelSize: [1, 4], strides: [1, 2], padding: 'same', activation: filters === 6 ? undefined : 'relu', name });
ae.add(L.conv1d({ filters: 32, kernelSize: 7, strides: 2, padding: 'same', activation: 'relu', name: 'enc1' }))
  .add(L.conv1d({ filters: 32, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', name: 'enc2' }))
  .add(L.conv1d({ filters: 8, kernelSize: 5, strides: 2, padding: 'same', name: 'code' }))
  .add(L.reshape({ targetShape: [1, 16, 8] })).add(up(32, 'dec1')).add(up(32, 'dec2')).add(up(6, 'dec3')).add(L.reshape({ targetShape: [128, 6] }));
ae.compile({ optimizer: { type: 'adam', lr: 0.001 }, loss: 'mse' });
const t0 = performance.now();
const h = await ae.fit(xt, xt, { epochs: EPOCHS, batchSize: 32, validationData: [xv, xv] });
const trainSeconds = (performance.now() - t0) / 1000;

const verr = await reconstructionErrors(ae, xv), thr = calibrateThreshold(verr, QUANTILE);
const err = await reconstructionErrors(ae, xs);
const anomalous = Array.from(test.y, (v) => v >= IMU_FALL);
const all = detectionScores(err, anomalous, thr);
// Per-activity thresholds: running reconstructs worse than sitting, so one threshold is set by the
// runs; the classifier's predicted activity (out/imu/model.axon, trained on users 0..23) picks a
// threshold calibrated on the validation windows it assigns to that activity.
const clf = loadModel(new URL('../../out/imu/model.axon', import.meta.url).pathname), cnorm = Normalizer.fromJSON(clf.graph.extra.normalizer, 'model.axon');
const classify = async (x) => { const p = await clf.model.predict(cnorm.apply(x)); return Array.from({ length: x.shape[0] }, (_, i) => { const r = p.data.subarray(i * 6, i * 6 + 6); return r.indexOf(Math.max(...r)); }); };
const [pv, ps] = [await classify(val.x), await classify(test.x)];
const thrOf = [0, 1, 2, 3, 4, 5].map((c) => { const e = [...verr].filter((_, i) => pv[i] === c); return e.length >= 20 ? calibrateThreshold(e, QUANTILE) : thr; });
const scaled = Array.from(err, (e, i) => e / thrOf[ps[i]]);  // > 1: above its activity's threshold
const per = detectionScores(scaled, anomalous, 1);
const only = (score, t, k) => { const idx = [...test.y.keys()].filter((i) => test.y[i] === k); return detectionScores(idx.map((i) => score[i]), idx.map(() => true), t).recall; };
const median = (a) => { const s = Float64Array.from(a).sort(); return s[s.length >> 1]; };
const byKind = { normal: [], fall: [], faulty: [] };
test.y.forEach((v, i) => byKind[v === IMU_FALL ? 'fall' : v === IMU_FAULTY ? 'faulty' : 'normal'].push(err[i]));
const report = {
  data: 'synthetic (src/data/imu_sim.ts), seed 16', train: `users 0-19, ${train.y.length} normal windows`, calibration: `users 20-23, ${val.y.length} normal windows, quantile ${QUANTILE}`,
  test: `users 24-29: ${byKind.normal.length} normal, ${byKind.fall.length} fall, ${byKind.faulty.length} faulty-sensor windows`,
  epochs: EPOCHS, params: ae.paramCount, trainSeconds: +trainSeconds.toFixed(1), finalLoss: +h.epochs.at(-1).loss.toFixed(4), valLoss: +h.epochs.at(-1).val_loss.toFixed(4),
  threshold: +thr.toFixed(4), precision: +all.precision.toFixed(4), recall: +all.recall.toFixed(4), f1: +all.f1.toFixed(4), falseAlarmRate: +all.falseAlarmRate.toFixed(4),
  counts: { tp: all.tp, fp: all.fp, fn: all.fn, tn: all.tn }, recallFalls: +only(err, thr, IMU_FALL).toFixed(4), recallFaulty: +only(err, thr, IMU_FAULTY).toFixed(4),
  perActivity: { thresholds: thrOf.map((t) => +t.toFixed(4)), precision: +per.precision.toFixed(4), recall: +per.recall.toFixed(4), f1: +per.f1.toFixed(4), falseAlarmRate: +per.falseAlarmRate.toFixed(4),
    counts: { tp: per.tp, fp: per.fp, fn: per.fn, tn: per.tn }, recallFalls: +only(scaled, 1, IMU_FALL).toFixed(4), recallFaulty: +only(scaled, 1, IMU_FAULTY).toFixed(4) },
  medianError: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, +median(v).toFixed(4)])),
};
mkdirSync(new URL('../../out/imu/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../out/imu/autoencoder.axon', import.meta.url), modelToBytes(ae, { extra: { normalizer: norm.toJSON(), threshold: thr } }));
writeFileSync(new URL('anomaly.json', import.meta.url), JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));

// `axon train <config>`: load data, split, normalize (fitted on the training part), build and
// train the model with a progress bar, evaluate on the held-out test part, and write the model
// file, the history (JSON) and a report chart (SVG).
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve, join } from 'node:path';
import { AxonError } from '../../../src/errors.js';
import { Tensor } from '../../../src/runtime/tensor.js';
import { Sequential } from '../../../src/model/sequential.js';
import { Model } from '../../../src/model/model.js';
import { modelToBytes } from '../../../src/model/serialize.js';
import { layerFromConfig } from '../../../src/layers/index.js';
import { splitData } from '../../../src/data/split.js';
import { Normalizer } from '../../../src/data/normalize.js';
import { EarlyStopping, ModelCheckpoint, Callback } from '../../../src/train/callbacks.js';
import { trainingReportSvg } from '../../../src/train/chart.js';
import { readDataset } from '../data.js';
import { writeFileAtomic } from '../fs.js';
import { loadEngine } from '../index.js';
import { parseConfig, TrainConfig } from './config.js';
import { ProgressBar } from './progress.js';

export interface TrainFlags { out?: string; epochs?: number; batchSize?: number; seed?: number; build?: 'auto' | 'simd' | 'relaxed'; threads?: number | 'auto'; progress?: boolean }

async function readTensor(path: string): Promise<Tensor> { return (await readDataset(path)).x; }

function asF32(t: Tensor, scale = 1, shape?: number[]): Tensor {
  const d = new Float32Array(t.size);
  for (let i = 0; i < d.length; i++) d[i] = t.data[i] * scale;
  return new Tensor(d, shape ? [t.shape[0], ...shape] : t.shape);
}

export async function loadData(cfg: TrainConfig, dir: string, seed: number) {
  const p = (f: string) => resolve(dir, f);
  let x = asF32(await readTensor(p(cfg.data.x)), cfg.data.scale ?? 1, cfg.data.sampleShape);
  let y = await readTensor(p(cfg.data.y));
  if (cfg.data.limit) { x = x.slice(0, Math.min(cfg.data.limit, x.shape[0])); y = y.slice(0, Math.min(cfg.data.limit, y.shape[0])); }
  const v = cfg.data.validationSplit ?? 0.1;
  let split;
  if (cfg.data.testX && cfg.data.testY) {
    split = splitData(x, y, { validation: v, test: 0, seed, name: cfg.data.x });
    split.test = { x: asF32(await readTensor(p(cfg.data.testX)), cfg.data.scale ?? 1, cfg.data.sampleShape), y: await readTensor(p(cfg.data.testY)) };
  } else split = splitData(x, y, { validation: v, test: cfg.data.testSplit ?? 0.2, seed, name: cfg.data.x });
  let normalizer: Normalizer | undefined;
  if (cfg.data.normalize) {
    normalizer = Normalizer.fit(split.train.x, { ...cfg.data.normalize, name: cfg.data.x });
    for (const part of [split.train, split.validation, split.test]) if (part.x.shape[0]) part.x = normalizer.apply(part.x);
  }
  return { ...split, normalizer };
}

/** The config's model: a Sequential, or a graph Model when some layer lists its `inputs`. */
export function buildModel(cfg: TrainConfig, inputShape: number[], seed: number): Model {
  const opts = { inputShape: cfg.model.inputShape ?? inputShape, seed, name: cfg.name ?? 'model' };
  const model = cfg.model.layers.some((l) => l.inputs) ? new Model(opts) : new Sequential(opts);
  cfg.model.layers.forEach((spec, i) => {
    const { type, name, inputs, ...config } = spec;
    if ('input' in config && !inputs) throw new AxonError('BAD_CONFIG', `model.layers[${i}] (${type}): unknown key "input"; the layers a layer reads go in "inputs": ["name", ...]`);
    try { model.add(layerFromConfig(type, config, name ?? ''), { inputs }); } catch (e) {
      if (e instanceof AxonError) throw new AxonError('BAD_CONFIG', `model.layers[${i}] (${type}): ${e.message}`);
      throw e;
    }
  });
  return model;
}

export async function train(configPath: string, flags: TrainFlags = {}): Promise<Record<string, unknown>> {
  let text: string;
  try { text = await readFile(configPath, 'utf8'); } catch { throw new AxonError('IO', `${configPath}: cannot read the config file`); }
  const cfg = parseConfig(text, configPath);
  const dir = dirname(resolve(configPath));
  const seed = flags.seed ?? cfg.seed ?? 42;
  const out = resolve(flags.out ?? (cfg.output ? resolve(dir, cfg.output) : 'out'));
  const engine = await loadEngine(flags.build || flags.threads ? { build: flags.build, threads: flags.threads } : undefined);
  const data = await loadData(cfg, dir, seed);
  const model = buildModel(cfg, data.train.x.shape.slice(1), seed);
  model.engine = engine;
  model.compile(cfg.compile);
  const log = (s: string) => process.stderr.write(s + '\n');
  log(model.summary());
  log(`data: ${data.train.x.shape[0]} train, ${data.validation.x.shape[0]} validation, ${data.test.x.shape[0]} test samples; engine: ${engine.build} build`);
  await mkdir(out, { recursive: true }).catch((e: NodeJS.ErrnoException) => { throw new AxonError('IO', `${out}: cannot create the output directory (${e.code ?? e.message}); choose another --out`); });
  const extra = data.normalizer ? { normalizer: data.normalizer.toJSON() } : undefined;
  const toBytes = () => modelToBytes(model, { extra });
  const callbacks: Callback[] = [];
  if (flags.progress !== false) callbacks.push(new ProgressBar());
  const hasVal = data.validation.x.shape[0] > 0;
  const es = cfg.fit.earlyStopping;
  if (es) callbacks.push(new EarlyStopping({ monitor: hasVal ? 'val_loss' : 'loss', ...es }));
  callbacks.push(new ModelCheckpoint({ path: join(out, 'checkpoint.axon'), write: async (p, b) => writeFileAtomic(p, b), saveBestOnly: hasVal, monitor: hasVal ? 'val_loss' : 'loss' }));
  const t0 = performance.now();
  const history = await model.fit(data.train.x, data.train.y!, {
    epochs: flags.epochs ?? cfg.fit.epochs ?? 10, batchSize: flags.batchSize ?? cfg.fit.batchSize ?? 32, shuffle: cfg.fit.shuffle,
    validationData: hasVal ? [data.validation.x, data.validation.y!] : undefined, callbacks, toBytes,
  }).catch((e: unknown) => {
    // a non-finite step leaves the weights of the last good step: keep them on disk, even before the first checkpoint
    if (!(e instanceof AxonError && e.code === 'NOT_FINITE')) throw e;
    writeFileAtomic(join(out, 'model.axon'), toBytes());
    throw new AxonError('NOT_FINITE', `${e.message}\nthe weights of the last good step are in ${join(out, 'model.axon')}`);
  });
  const seconds = (performance.now() - t0) / 1000;
  const epochsRun = history.epochs.length;
  const samplesPerSecond = (epochsRun * data.train.x.shape[0]) / seconds;
  const test = data.test.x.shape[0] ? await model.evaluate(data.test.x, data.test.y!, { confusionMatrix: true, batchSize: 256 }) : undefined;
  writeFileAtomic(join(out, 'model.axon'), toBytes());
  await writeFile(join(out, 'history.json'), JSON.stringify(history.toJSON()));
  await writeFile(join(out, 'report.svg'), trainingReportSvg(history.epochs, cfg.name ?? 'model'));
  const report = {
    name: cfg.name, seed, build: engine.build, epochs: epochsRun, trainSeconds: +seconds.toFixed(3), samplesPerSecond: Math.round(samplesPerSecond),
    final: history.epochs[epochsRun - 1], test, files: { model: join(out, 'model.axon'), history: join(out, 'history.json'), chart: join(out, 'report.svg') },
  };
  await writeFile(join(out, 'report.json'), JSON.stringify(report, null, 2));
  const acc = test?.accuracy as number | undefined;
  log(`\ntest: loss ${test?.loss.toFixed(4) ?? '-'}${acc !== undefined ? `, accuracy ${(acc * 100).toFixed(2)}%` : ''} on ${data.test.x.shape[0]} held-out samples`);
  log(`throughput: ${Math.round(samplesPerSecond).toLocaleString('en-US')} samples/s (${epochsRun} epochs in ${seconds.toFixed(2)} s)`);
  log(`wrote ${report.files.model}, ${report.files.history}, ${report.files.chart}`);
  return report;
}

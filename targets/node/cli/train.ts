// `axon train <config>`: load data, split, normalize (fitted on the training part), build and
// train the model with a progress bar, evaluate on the held-out test part, and write the model
// file, the history (JSON) and a report chart (SVG). A config with a `text` section trains on
// text (text_data.ts): the tokenizer goes into the model file (graph.extra.text); with
// "model": {"encoder": ...} a pretrained ONNX encoder gets a new head (text_transfer.ts).
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve, join } from 'node:path';
import { AxonError } from '../../../src/errors.js';
import { Tensor } from '../../../src/runtime/tensor.js';
import { Sequential } from '../../../src/model/sequential.js';
import { Model } from '../../../src/model/model.js';
import { modelToBytes } from '../../../src/model/serialize.js';
import { layerFromConfig } from '../../../src/layers/index.js';
import { addEncoderBlock } from '../../../src/model/blocks.js';
import type { ActivationName } from '../../../src/layers/activation.js';
import { textSpec } from '../../../src/text/model.js';
import type { TextTokenizer } from '../../../src/text/tokenizer.js';
import { splitData } from '../../../src/data/split.js';
import { Normalizer } from '../../../src/data/normalize.js';
import { EarlyStopping, ModelCheckpoint, Callback } from '../../../src/train/callbacks.js';
import { trainingReportSvg } from '../../../src/train/chart.js';
import { readDataset } from '../data.js';
import { writeFileAtomic } from '../fs.js';
import { loadEngine } from '../index.js';
import { parseConfig, TrainConfig } from './config.js';
import { ProgressBar } from './progress.js';
import { loadTextData, textInputs } from './text_data.js';
import { trainLm } from './lm.js';
import { buildEncoderModel, renameInputs } from './text_transfer.js';

import type { TrainFlags } from './train_flags.js';
export type { TrainFlags };

async function readTensor(path: string): Promise<Tensor> { return (await readDataset(path)).x; }

function asF32(t: Tensor, scale = 1, shape?: number[]): Tensor {
  const d = new Float32Array(t.size);
  for (let i = 0; i < d.length; i++) d[i] = t.data[i] * scale;
  return new Tensor(d, shape ? [t.shape[0], ...shape] : t.shape);
}

export async function loadData(cfg: TrainConfig, dir: string, seed: number) {
  const p = (f: string) => resolve(dir, f), audio = cfg.data.audio ? { ...cfg.data.audio, labels: cfg.data.labels } : undefined;
  // a WAV directory carries its labels (data.y absent)
  const read = async (xf: string, yf?: string) => {
    const ds = await readDataset(p(xf), {}, audio);
    return { x: asF32(ds.x, cfg.data.scale ?? 1, cfg.data.sampleShape), y: yf ? await readTensor(p(yf)) : ds.y, classes: ds.classes };
  };
  const main = await read(cfg.data.x!, cfg.data.y);
  if (!main.y) throw new AxonError('BAD_CONFIG', `${cfg.data.x}: no labels; give data.y`);
  let { x, y } = main as { x: Tensor; y: Tensor };
  if (cfg.data.limit) { x = x.slice(0, Math.min(cfg.data.limit, x.shape[0])); y = y.slice(0, Math.min(cfg.data.limit, y.shape[0])); }
  const v = cfg.data.validationSplit ?? 0.1;
  let split;
  if (cfg.data.testX && (cfg.data.testY || audio)) {
    split = splitData(x, y, { validation: v, test: 0, seed, name: cfg.data.x! });
    const t = await read(cfg.data.testX, cfg.data.testY);
    split.test = { x: t.x, y: t.y! };
  } else split = splitData(x, y, { validation: v, test: cfg.data.testSplit ?? 0.2, seed, name: cfg.data.x! });
  let normalizer: Normalizer | undefined;
  if (cfg.data.normalize) {
    normalizer = Normalizer.fit(split.train.x, { ...cfg.data.normalize, name: cfg.data.x! });
    for (const part of [split.train, split.validation, split.test]) if (part.x.shape[0]) part.x = normalizer.apply(part.x);
  }
  return { ...split, normalizer, classes: audio ? main.classes : undefined };
}

/** The config's model: a Sequential, or a graph Model when some layer lists its `inputs` (always for text). */
export function buildModel(cfg: TrainConfig, inputShape: number[], seed: number, tokenizer?: TextTokenizer): Model {
  const text = cfg.text && tokenizer ? { maxLength: cfg.text.maxLength, vocab: tokenizer.vocabSize } : undefined;
  const opts = text ? { inputs: textInputs(text.maxLength), seed, name: cfg.name ?? 'model' } : { inputShape: cfg.model.inputShape ?? inputShape, seed, name: cfg.name ?? 'model' };
  const model = text || cfg.model.layers.some((l) => l.inputs) ? new Model(opts) : new Sequential(opts);
  const blocks = new Map<string, string>(); // encoder block name → its output layer
  cfg.model.layers.forEach((spec, i) => {
    const { type, name, inputs: given, ...config } = spec;
    const inputs = given?.map((r) => blocks.get(r) ?? r);
    const where = `model.layers[${i}] (${type})`;
    if ('input' in config && !inputs) throw new AxonError('BAD_CONFIG', `${where}: unknown key "input"; the layers a layer reads go in "inputs": ["name", ...]`);
    try {
      if (type === 'encoderBlock') {
        if (typeof name !== 'string' || !name) throw new AxonError('BAD_CONFIG', 'an encoder block needs a "name" (its layers are named after it)');
        const input = inputs?.[0] ?? model.layers[model.layers.length - 1]?.name ?? 'ids';
        const c = config as { heads: number; ff: number; activation?: ActivationName; preNorm?: boolean; eps?: number; dropout?: number; attentionDropout?: number };
        blocks.set(name, addEncoderBlock(model, { input, mask: inputs?.[1], heads: c.heads, ff: c.ff, activation: c.activation, preNorm: c.preNorm, eps: c.eps, dropout: c.dropout, attentionDropout: c.attentionDropout, name }));
        return;
      }
      if (text && type === 'embedding') {
        config.inputDim ??= text.vocab;
        if ((config.inputDim as number) < text.vocab) throw new AxonError('BAD_CONFIG', `inputDim ${config.inputDim} is smaller than the tokenizer's ${text.vocab} ids; leave inputDim out (it is the tokenizer's vocabulary size)`);
      }
      if (text && type === 'positionEmbedding') config.maxLength ??= text.maxLength;
      model.add(layerFromConfig(type, config, name ?? ''), { inputs });
    } catch (e) {
      if (e instanceof AxonError) throw new AxonError('BAD_CONFIG', `${where}: ${e.message}`);
      throw e;
    }
  });
  return model;
}

export async function train(configPath: string, flags: TrainFlags = {}): Promise<Record<string, unknown>> {
  let source: string;
  try { source = await readFile(configPath, 'utf8'); } catch { throw new AxonError('IO', `${configPath}: cannot read the config file`); }
  if (/"task"\s*:\s*"causalLm"/.test(source)) return trainLm(configPath, source, flags);
  const cfg = parseConfig(source, configPath);
  const dir = dirname(resolve(configPath));
  const seed = flags.seed ?? cfg.seed ?? 42;
  const out = resolve(flags.out ?? (cfg.output ? resolve(dir, cfg.output) : 'out'));
  const engine = await loadEngine(flags.build || flags.threads ? { build: flags.build, threads: flags.threads } : undefined);
  let text = cfg.text ? await loadTextData(cfg, dir, seed) : undefined;
  const enc = text && cfg.model.encoder ? await buildEncoderModel(cfg, dir, text.tokenizer, text.labels.length, seed, engine) : undefined;
  if (enc) text = renameInputs(text!, enc.inputs);
  const data = text ?? await loadData(cfg, dir, seed);
  const model = enc ? enc.model : text ? buildModel(cfg, [], seed, text.tokenizer) : buildModel(cfg, (data.train.x as Tensor).shape.slice(1), seed);
  model.engine = engine;
  model.compile(cfg.compile);
  const log = (s: string) => process.stderr.write(s + '\n');
  log(model.summary());
  const rows = (part: { y?: Tensor }) => part.y!.shape[0];
  log(`data: ${rows(data.train)} train, ${rows(data.validation)} validation, ${rows(data.test)} test samples; engine: ${engine.build} build`);
  if (enc) log(`encoder: ${cfg.model.encoder!.onnx}, ${enc.frozen} of ${model.layers.length} layers frozen (${model.layers.filter((l) => l.trainable).reduce((n, l) => n + l.paramCount, 0).toLocaleString('en-US')} trainable parameters)`);
  if (text) log(`text: ${text.tokenizer.kind} tokenizer, ${text.tokenizer.vocabSize} ids, ${text.labels.length} classes, sequences padded to ${text.length} tokens${text.truncated ? ` (${text.truncated} texts cut at ${cfg.text!.maxLength})` : ''}`);
  await mkdir(out, { recursive: true }).catch((e: NodeJS.ErrnoException) => { throw new AxonError('IO', `${out}: cannot create the output directory (${e.code ?? e.message}); choose another --out`); });
  const normalizer = 'normalizer' in data ? data.normalizer : undefined;
  const classes = 'classes' in data ? data.classes : undefined;
  const extra = text ? { text: textSpec(text.tokenizer, { maxLength: cfg.text!.maxLength, labels: text.labels, ...(enc ? { ids: enc.inputs.ids, mask: enc.inputs.mask } : {}) }) }
    : normalizer || classes ? { ...(normalizer ? { normalizer: normalizer.toJSON() } : {}), ...(classes ? { labels: classes } : {}) } : undefined;
  const toBytes = () => modelToBytes(model, { extra });
  const callbacks: Callback[] = [];
  if (flags.progress !== false) callbacks.push(new ProgressBar());
  const hasVal = rows(data.validation) > 0;
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
  const samplesPerSecond = (epochsRun * rows(data.train)) / seconds;
  const test = rows(data.test) ? await model.evaluate(data.test.x, data.test.y!, { confusionMatrix: true, batchSize: 256 }) : undefined;
  writeFileAtomic(join(out, 'model.axon'), toBytes());
  await writeFile(join(out, 'history.json'), JSON.stringify(history.toJSON()));
  await writeFile(join(out, 'report.svg'), trainingReportSvg(history.epochs, cfg.name ?? 'model'));
  const report = {
    name: cfg.name, seed, build: engine.build, epochs: epochsRun, trainSeconds: +seconds.toFixed(3), samplesPerSecond: Math.round(samplesPerSecond),
    final: history.epochs[epochsRun - 1], test, files: { model: join(out, 'model.axon'), history: join(out, 'history.json'), chart: join(out, 'report.svg') },
  };
  await writeFile(join(out, 'report.json'), JSON.stringify(report, null, 2));
  const acc = test?.accuracy as number | undefined;
  log(`\ntest: loss ${test?.loss.toFixed(4) ?? '-'}${acc !== undefined ? `, accuracy ${(acc * 100).toFixed(2)}%` : ''} on ${rows(data.test)} held-out samples`);
  log(`throughput: ${Math.round(samplesPerSecond).toLocaleString('en-US')} samples/s (${epochsRun} epochs in ${seconds.toFixed(2)} s)`);
  log(`wrote ${report.files.model}, ${report.files.history}, ${report.files.chart}`);
  return report;
}

// TensorFlow.js layers models (model.json + weight shards, as tfjs `model.save` or tfjs-converter
// write them; uint8/uint16/float16-quantized weights included) → Axon Sequential. Sequential
// topologies, and functional ones that are chains. Keras layouts are already Axon's (NHWC
// activations, HWIO conv kernels); Dense kernels (in, out) are transposed to (out, in).
// Layers: InputLayer, Dense, Conv2D, Conv1D, DepthwiseConv2D, SeparableConv2D (→ depthwise + 1x1),
// MaxPooling2D/1D, AveragePooling2D, GlobalAveragePooling2D/1D, ZeroPadding2D, BatchNormalization,
// Activation, ReLU, LeakyReLU, Softmax, Flatten, Reshape, Dropout. Others: one UNSUPPORTED error listing them.
import { AxonError } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import { Sequential } from '../model/sequential.js';
import type { Layer } from '../layers/layer.js';
import { Dense } from '../layers/dense.js';
import { Conv2D, Conv1D, DepthwiseConv2D } from '../layers/conv.js';
import { MaxPool2D, MaxPool1D, AvgPool2D, GlobalAveragePooling2D, ZeroPadding2D } from '../layers/pool.js';
import { BatchNormalization } from '../layers/norm.js';
import { Activation, ActivationName } from '../layers/activation.js';
import { Dropout, Flatten, Reshape } from '../layers/misc.js';
import { decodeTfjsWeights, TfjsWeightSpec, TfjsWeights } from './tfjs_weights.js';

export interface TfjsModelJson {
  modelTopology: unknown;
  /** model.json */
  weightsManifest?: { paths: string[]; weights: TfjsWeightSpec[] }[];
  /** tfjs ModelArtifacts (an IOHandler's save/load) */
  weightSpecs?: TfjsWeightSpec[];
  weightData?: ArrayBuffer | ArrayBuffer[];
}
export interface TfjsImportOptions {
  /** bytes of a shard named in weightsManifest (paths relative to model.json) */
  loadShard?: (path: string) => Promise<Uint8Array> | Uint8Array;
  engine?: Engine; seed?: number; name?: string; file?: string;
}
export interface TfjsImport { model: Sequential; paramSources: Record<string, string> }

type Cfg = Record<string, unknown> & { name?: string };
interface KLayer { class_name: string; config: Cfg; inbound_nodes?: unknown }
const ACT: Record<string, ActivationName> = { linear: 'linear', relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax' };
const pair = (v: unknown, d: number): [number, number] => (v === undefined || v === null ? [d, d] : Array.isArray(v) ? [v[0], v[v.length > 1 ? 1 : 0]] : [v as number, v as number]);

export async function importTfjsLayers(json: TfjsModelJson | string, opts: TfjsImportOptions = {}): Promise<TfjsImport> {
  const file = opts.file ?? 'model.json';
  const bad = (msg: string): never => { throw new AxonError('BAD_MODEL_FILE', `${file}: ${msg}`); };
  const mj = (typeof json === 'string' ? JSON.parse(json) : json) as TfjsModelJson;
  let topo = mj.modelTopology as { class_name?: string; config?: unknown; model_config?: unknown } | undefined;
  if (topo?.model_config) topo = topo.model_config as typeof topo;
  if (!topo?.class_name) bad('no modelTopology.class_name; is this a TensorFlow.js layers model (not a graph model)?');
  const cfg = topo!.config as { layers?: KLayer[]; name?: string } | KLayer[];
  const klayers = Array.isArray(cfg) ? cfg : cfg?.layers ?? bad('modelTopology has no layers');
  if (!['Sequential', 'Model', 'Functional'].includes(topo!.class_name!)) bad(`class_name ${topo!.class_name} is not a layers model`);
  if (topo!.class_name !== 'Sequential') chainCheck(klayers, file);

  // weights
  let specs: TfjsWeightSpec[], data: Uint8Array;
  if (mj.weightSpecs) {
    specs = mj.weightSpecs;
    const parts = Array.isArray(mj.weightData) ? mj.weightData : mj.weightData ? [mj.weightData] : [];
    data = concat(parts.map((p) => new Uint8Array(p)));
  } else {
    const man = mj.weightsManifest ?? [];
    specs = man.flatMap((g) => g.weights);
    const shards: Uint8Array[] = [];
    for (const g of man) for (const p of g.paths) {
      if (!opts.loadShard) throw new AxonError('BAD_ARGUMENT', `${file}: the weights are in shard files (${p}, …); pass loadShard(path) to read them`);
      shards.push(await opts.loadShard(p));
    }
    data = concat(shards);
  }
  const weights = decodeTfjsWeights(specs, data, file);
  const find = (layer: string, w: string): TfjsWeights | undefined => {
    for (const [k, v] of weights) if (k === `${layer}/${w}` || k.endsWith(`/${layer}/${w}`)) return v;
    return undefined;
  };

  // layers
  const first = klayers[0]?.config ?? {}, bis = (first.batch_input_shape ?? first.batch_shape) as (number | null)[] | undefined;
  if (!bis) bad('the first layer has no batch_input_shape; the input shape is unknown');
  const specsOut: { layer: Layer; w: Record<string, Float32Array>; from: Record<string, string> }[] = [];
  const problems: string[] = [];
  for (const kl of klayers) {
    const c = kl.config, name = c.name ?? kl.class_name;
    const need = (w: string): TfjsWeights => find(name, w) ?? bad(`layer ${name}: weight "${name}/${w}" is missing from the weights`);
    const push = (layer: Layer, w: Record<string, Float32Array> = {}, from: Record<string, string> = {}) => { if (c.trainable === false) layer.trainable = false; specsOut.push({ layer, w, from }); };
    const act = (key = 'activation'): ActivationName => {
      const a = (c[key] as string | undefined) ?? 'linear';
      return ACT[a] ?? (problems.push(`${kl.class_name} (${name}): activation "${a}" is not supported (${Object.keys(ACT).join(', ')})`), 'linear');
    };
    const padding = () => { const p = c.padding as string; if (p !== 'valid' && p !== 'same') problems.push(`${kl.class_name} (${name}): padding "${p}" is not supported`); return p as 'valid' | 'same'; };
    const bias = (b: boolean): Record<string, Float32Array> => (b ? { bias: need('bias').data } : {});
    if (c.data_format && c.data_format !== 'channels_last') { problems.push(`${kl.class_name} (${name}): data_format ${c.data_format} (only channels_last)`); continue; }
    switch (kl.class_name) {
      case 'InputLayer': break;
      case 'Dense': {
        const k = need('kernel'), [I, O] = k.dims, t = new Float32Array(I * O), ub = c.use_bias !== false;
        for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) t[o * I + i] = k.data[i * O + o];
        push(new Dense({ units: c.units as number, activation: act(), useBias: ub }), { weight: t, ...bias(ub) }, { weight: `${name}/kernel` });
        break;
      }
      case 'Conv2D': case 'Conv1D': {
        const ub = c.use_bias !== false, one = kl.class_name === 'Conv1D', k = need('kernel');
        const o = { filters: c.filters as number, activation: act(), useBias: ub, groups: (c.groups as number) ?? 1 };
        push(one ? new Conv1D({ ...o, kernelSize: pair(c.kernel_size, 1)[0], strides: pair(c.strides, 1)[0], dilationRate: pair(c.dilation_rate, 1)[0], padding: padding() })
          : new Conv2D({ ...o, kernelSize: pair(c.kernel_size, 1), strides: pair(c.strides, 1), dilationRate: pair(c.dilation_rate, 1), padding: padding() }),
        { weight: k.data, ...bias(ub) }, { weight: `${name}/kernel` });
        break;
      }
      case 'DepthwiseConv2D': case 'SeparableConv2D': {
        const sep = kl.class_name === 'SeparableConv2D', ub = c.use_bias !== false;
        // (KH, KW, C, multiplier) has the memory order of Axon's (KH, KW, 1, C * multiplier)
        push(new DepthwiseConv2D({ kernelSize: pair(c.kernel_size, 1), strides: pair(c.strides, 1), dilationRate: pair(c.dilation_rate, 1), padding: padding(),
          depthMultiplier: (c.depth_multiplier as number) ?? 1, activation: sep ? 'linear' : act(), useBias: ub && !sep }),
        { weight: need('depthwise_kernel').data, ...bias(ub && !sep) }, { weight: `${name}/depthwise_kernel` });
        if (sep) push(new Conv2D({ filters: c.filters as number, kernelSize: 1, activation: act(), useBias: ub }), { weight: need('pointwise_kernel').data, ...bias(ub) }, { weight: `${name}/pointwise_kernel` });
        break;
      }
      case 'MaxPooling2D': case 'AveragePooling2D': {
        const o = { poolSize: pair(c.pool_size, 2), strides: pair(c.strides ?? c.pool_size, 2), padding: padding() };
        push(kl.class_name === 'MaxPooling2D' ? new MaxPool2D(o) : new AvgPool2D({ ...o, countIncludePad: false }));
        break;
      }
      case 'MaxPooling1D': push(new MaxPool1D({ poolSize: pair(c.pool_size, 2)[0], strides: pair(c.strides ?? c.pool_size, 2)[0], padding: padding() })); break;
      case 'GlobalAveragePooling2D': case 'GlobalAveragePooling1D':
        if (c.keepdims) problems.push(`${kl.class_name} (${name}): keepdims is not supported`);
        push(new GlobalAveragePooling2D());
        break;
      case 'ZeroPadding2D': {
        const p = c.padding as number | [number, number] | [[number, number], [number, number]];
        const [[t, b], [l, r]] = typeof p === 'number' ? [[p, p], [p, p]] : Array.isArray(p[0]) ? p as [[number, number], [number, number]] : [[p[0], p[0]], [p[1], p[1]]] as [[number, number], [number, number]];
        push(new ZeroPadding2D({ padding: [t, l, b, r] }));
        break;
      }
      case 'BatchNormalization': {
        const ax = c.axis as number | number[];
        if (Array.isArray(ax) ? ax.length !== 1 : ax !== -1 && ax !== (bis!.length - 1)) problems.push(`${kl.class_name} (${name}): axis ${JSON.stringify(ax)} (only the last axis)`);
        const mean = need('moving_mean'), C = mean.data.length;
        const w = { weight: c.scale === false ? new Float32Array(C).fill(1) : need('gamma').data, bias: c.center === false ? new Float32Array(C) : need('beta').data, running_mean: mean.data, running_var: need('moving_variance').data };
        push(new BatchNormalization({ eps: (c.epsilon as number) ?? 1e-3, momentum: 1 - ((c.momentum as number) ?? 0.99) }), w, { weight: `${name}/gamma` });
        break;
      }
      case 'Activation': push(new Activation({ activation: act() })); break;
      case 'Softmax': push(new Activation({ activation: 'softmax' })); break;
      case 'LeakyReLU': push(new Activation({ activation: 'leakyRelu', alpha: (c.alpha as number) ?? (c.negative_slope as number) ?? 0.3 })); break;
      case 'ReLU': {
        const mx = c.max_value as number | null | undefined, ns = (c.negative_slope as number) ?? 0;
        if (ns && (mx ?? null) === null) push(new Activation({ activation: 'leakyRelu', alpha: ns }));
        else if (!ns && (mx === 6 || mx === null || mx === undefined) && !c.threshold) push(new Activation({ activation: mx === 6 ? 'relu6' : 'relu' }));
        else problems.push(`ReLU (${name}): max_value ${mx}, negative_slope ${ns}, threshold ${c.threshold} (only relu, relu6, leaky)`);
        break;
      }
      case 'Flatten': push(new Flatten()); break;
      case 'Reshape': push(new Reshape({ targetShape: c.target_shape as number[] })); break;
      case 'Dropout': push(new Dropout({ rate: c.rate as number })); break;
      default: problems.push(`${kl.class_name} (${name}): layer not supported`);
    }
  }
  if (problems.length) throw new AxonError('UNSUPPORTED', `${file}: cannot import ${problems.length} layer${problems.length > 1 ? 's' : ''}:\n  ${problems.join('\n  ')}`, { problems });

  const inputShape = bis!.slice(1) as number[];
  if (inputShape.some((d) => !(typeof d === 'number' && d > 0))) bad(`the input shape [${bis}] has unknown per-sample sizes`);
  const model = new Sequential({ inputShape, seed: opts.seed, engine: opts.engine, name: opts.name ?? ((Array.isArray(cfg) ? undefined : cfg.name) || 'tfjs') });
  const w = new Map<string, Float32Array>(), paramSources: Record<string, string> = {};
  for (const s of specsOut) {
    model.add(s.layer);
    for (const [k, v] of Object.entries(s.w)) w.set(`${s.layer.name}.${k}`, v);
    for (const [k, v] of Object.entries(s.from)) paramSources[`${s.layer.name}.${k}`] = v;
  }
  model.setWeights(w);
  return { model, paramSources };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** A functional model must be a chain: each layer's only inbound layer is the previous one. */
function chainCheck(ls: KLayer[], file: string): void {
  const bad: string[] = [];
  ls.forEach((l, i) => {
    const nodes = (l.inbound_nodes ?? []) as unknown[][][];
    const srcs = nodes.flatMap((n) => (Array.isArray(n) ? n.map((e) => (Array.isArray(e) ? e[0] : (e as { args?: unknown })?.args)) : []));
    if (i === 0 ? srcs.length !== 0 : srcs.length !== 1 || srcs[0] !== ls[i - 1].config.name) bad.push(`${l.class_name} (${l.config.name}): inputs [${srcs.join(', ')}]`);
  });
  if (bad.length) throw new AxonError('UNSUPPORTED', `${file}: only chains of layers are supported (each layer reads the previous one):\n  ${bad.join('\n  ')}`, { problems: bad });
}

// Keras layers (TensorFlow.js layers-model topology) → Axon layers with their weights. Keras layouts
// are already Axon's (NHWC activations, HWIO conv kernels); Dense kernels (in, out) are transposed to
// (out, in). Layers: InputLayer, Dense, Conv2D, Conv1D, DepthwiseConv2D, SeparableConv2D (→ depthwise
// + 1x1), MaxPooling2D/1D, AveragePooling2D, GlobalAveragePooling2D/1D, ZeroPadding2D (asymmetric
// too), BatchNormalization, Activation, ReLU (relu, relu6, leaky), LeakyReLU, ELU, Softmax, Flatten,
// Reshape, Dropout, Add, Concatenate, Multiply, LSTM / GRU / SimpleRNN (tfjs_recurrent.ts). Anything else is reported as a problem (the driver lists them all).
import type { Layer } from '../layers/layer.js';
import { Dense } from '../layers/dense.js';
import { Conv2D, Conv1D, DepthwiseConv2D } from '../layers/conv.js';
import { MaxPool2D, MaxPool1D, AvgPool2D, GlobalAveragePooling2D, ZeroPadding2D } from '../layers/pool.js';
import { BatchNormalization } from '../layers/norm.js';
import { Activation, ActivationName } from '../layers/activation.js';
import { Dropout, Flatten, Reshape } from '../layers/misc.js';
import { Add, Concatenate, Multiply } from '../layers/merge.js';
import type { TfjsWeights } from './tfjs_weights.js';
import { mapKerasRecurrent } from './tfjs_recurrent.js';

export type { KConfig, KLayer, Mapped, MapContext } from './tfjs_types.js';
import type { KLayer, Mapped, MapContext } from './tfjs_types.js';

const ACT: Record<string, ActivationName> = {
  linear: 'linear', relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax',
  elu: 'elu', selu: 'selu', gelu: 'gelu', swish: 'swish', silu: 'swish',   // NOTE: tfjs 4.22 saves gelu_new but cannot load it back
};
const pair = (v: unknown, d: number): [number, number] => (v === undefined || v === null ? [d, d] : Array.isArray(v) ? [v[0], v[v.length > 1 ? 1 : 0]] : [v as number, v as number]);

/**
 * The Axon layers for one Keras layer (none for InputLayer; two for SeparableConv2D), in order;
 * what cannot be imported goes to `problems` (and nothing is returned for it).
 */
export function mapKerasLayer(kl: KLayer, ctx: MapContext, problems: string[]): Mapped[] {
  const c = kl.config, name = c.name ?? kl.name ?? kl.class_name, out: Mapped[] = [];
  const problem = (msg: string): Mapped[] => { problems.push(`${kl.class_name} (${name}): ${msg}`); return []; };
  const need = (w: string): TfjsWeights => ctx.find(name, w) ?? ctx.bad(`layer ${name}: weight "${name}/${w}" is missing from the weights`);
  const push = (layer: Layer, w: Record<string, Float32Array> = {}, from: Record<string, string> = {}, suffix?: string) => {
    if (c.trainable === false) layer.trainable = false;
    out.push({ layer, w, from, suffix });
  };
  const before = problems.length;
  const act = (key = 'activation'): ActivationName => {
    const a = (c[key] as string | undefined) ?? 'linear';
    return ACT[a] ?? (problem(`activation "${a}" is not supported (${Object.keys(ACT).join(', ')})`), 'linear');
  };
  const padding = () => { const p = c.padding as string; if (p !== 'valid' && p !== 'same') problem(`padding "${p}" is not supported`); return p as 'valid' | 'same'; };
  const bias = (b: boolean): Record<string, Float32Array> => (b ? { bias: need('bias').data } : {});
  const biasFrom = (b: boolean): Record<string, string> => (b ? { bias: `${name}/bias` } : {});
  /** axis (Keras counts the batch axis) is the last one */
  const lastAxis = (ax: unknown): boolean => { const a = Array.isArray(ax) && ax.length === 1 ? ax[0] : ax ?? -1; return a === -1 || (ctx.inRank !== undefined && a === ctx.inRank - 1); };
  if (c.data_format && c.data_format !== 'channels_last') return problem(`data_format ${c.data_format} (only channels_last)`);
  switch (kl.class_name) {
    case 'InputLayer': break;
    case 'Dense': {
      const k = need('kernel'), [I, O] = k.dims, t = new Float32Array(I * O), ub = c.use_bias !== false;
      for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) t[o * I + i] = k.data[i * O + o];
      push(new Dense({ units: c.units as number, activation: act(), useBias: ub }), { weight: t, ...bias(ub) }, { weight: `${name}/kernel`, ...biasFrom(ub) });
      break;
    }
    case 'Conv2D': case 'Conv1D': {
      const ub = c.use_bias !== false, one = kl.class_name === 'Conv1D', k = need('kernel');
      const o = { filters: c.filters as number, activation: act(), useBias: ub, groups: (c.groups as number) ?? 1 };
      push(one ? new Conv1D({ ...o, kernelSize: pair(c.kernel_size, 1)[0], strides: pair(c.strides, 1)[0], dilationRate: pair(c.dilation_rate, 1)[0], padding: padding() })
        : new Conv2D({ ...o, kernelSize: pair(c.kernel_size, 1), strides: pair(c.strides, 1), dilationRate: pair(c.dilation_rate, 1), padding: padding() }),
      { weight: k.data, ...bias(ub) }, { weight: `${name}/kernel`, ...biasFrom(ub) });
      break;
    }
    case 'DepthwiseConv2D': case 'SeparableConv2D': {
      const sep = kl.class_name === 'SeparableConv2D', ub = c.use_bias !== false;
      // (KH, KW, C, multiplier) has the memory order of Axon's (KH, KW, 1, C * multiplier)
      push(new DepthwiseConv2D({ kernelSize: pair(c.kernel_size, 1), strides: pair(c.strides, 1), dilationRate: pair(c.dilation_rate, 1), padding: padding(),
        depthMultiplier: (c.depth_multiplier as number) ?? 1, activation: sep ? 'linear' : act(), useBias: ub && !sep }),
      { weight: need('depthwise_kernel').data, ...bias(ub && !sep) }, { weight: `${name}/depthwise_kernel`, ...biasFrom(ub && !sep) });
      if (sep) push(new Conv2D({ filters: c.filters as number, kernelSize: 1, activation: act(), useBias: ub }), { weight: need('pointwise_kernel').data, ...bias(ub) }, { weight: `${name}/pointwise_kernel`, ...biasFrom(ub) }, 'pointwise');
      break;
    }
    case 'MaxPooling2D': case 'AveragePooling2D': {
      const o = { poolSize: pair(c.pool_size, 2), strides: pair(c.strides ?? c.pool_size, 2), padding: padding() };
      push(kl.class_name === 'MaxPooling2D' ? new MaxPool2D(o) : new AvgPool2D({ ...o, countIncludePad: false }));
      break;
    }
    case 'MaxPooling1D': push(new MaxPool1D({ poolSize: pair(c.pool_size, 2)[0], strides: pair(c.strides ?? c.pool_size, 2)[0], padding: padding() })); break;
    case 'GlobalAveragePooling2D': case 'GlobalAveragePooling1D':
      if (c.keepdims) return problem('keepdims is not supported');
      push(new GlobalAveragePooling2D());
      break;
    case 'ZeroPadding2D': {
      const p = c.padding as number | [number, number] | [[number, number], [number, number]];
      const [[t, b], [l, r]] = typeof p === 'number' ? [[p, p], [p, p]] : Array.isArray(p[0]) ? p as [[number, number], [number, number]] : [[p[0], p[0]], [p[1], p[1]]] as [[number, number], [number, number]];
      push(new ZeroPadding2D({ padding: [t, l, b, r] }));
      break;
    }
    case 'BatchNormalization': {
      if (!lastAxis(c.axis)) return problem(`axis ${JSON.stringify(c.axis)} (only the last axis)`);
      const mean = need('moving_mean'), C = mean.data.length;
      const w = { weight: c.scale === false ? new Float32Array(C).fill(1) : need('gamma').data, bias: c.center === false ? new Float32Array(C) : need('beta').data, running_mean: mean.data, running_var: need('moving_variance').data };
      push(new BatchNormalization({ eps: (c.epsilon as number) ?? 1e-3, momentum: 1 - ((c.momentum as number) ?? 0.99) }), w,
        { ...(c.scale === false ? {} : { weight: `${name}/gamma` }), ...(c.center === false ? {} : { bias: `${name}/beta` }), running_mean: `${name}/moving_mean`, running_var: `${name}/moving_variance` });
      break;
    }
    case 'Activation': push(new Activation({ activation: act() })); break;
    case 'Softmax':
      if (!lastAxis(c.axis)) return problem(`axis ${JSON.stringify(c.axis)} (only the last axis)`);
      push(new Activation({ activation: 'softmax' }));
      break;
    case 'ELU': push(new Activation({ activation: 'elu', alpha: (c.alpha as number) ?? 1 })); break;
    case 'LeakyReLU': push(new Activation({ activation: 'leakyRelu', alpha: (c.alpha as number) ?? (c.negative_slope as number) ?? 0.3 })); break;
    case 'ReLU': {
      // Keras: x >= threshold ? min(x, max_value) : negative_slope * (x - threshold)
      const mx = (c.max_value as number | null | undefined) ?? null, ns = (c.negative_slope as number) ?? 0, th = (c.threshold as number) ?? 0;
      if (th !== 0 || (mx !== null && (mx !== 6 || ns !== 0))) return problem(`max_value ${mx}, negative_slope ${ns}, threshold ${th}: only relu, relu6 (max_value 6) and leaky relu (negative_slope) without a threshold import`);
      push(ns ? new Activation({ activation: 'leakyRelu', alpha: ns }) : new Activation({ activation: mx === 6 ? 'relu6' : 'relu' }));
      break;
    }
    case 'Flatten': push(new Flatten()); break;
    case 'Reshape': push(new Reshape({ targetShape: c.target_shape as number[] })); break;
    case 'Dropout': push(new Dropout({ rate: c.rate as number })); break;
    case 'Add': push(new Add()); break;
    case 'Multiply': push(new Multiply()); break;
    case 'Concatenate': {
      const ax = (c.axis as number | undefined) ?? -1;   // Keras counts the batch axis; Axon does not
      if (ax === 0) return problem('axis 0 is the batch axis');
      push(new Concatenate({ axis: ax > 0 ? ax - 1 : ax }));
      break;
    }
    case 'LSTM': case 'GRU': case 'SimpleRNN': {
      const r = mapKerasRecurrent(kl, ctx, name);
      if (typeof r === 'string') return problem(r);
      push(r.layer, r.w, r.from);
      break;
    }
    case 'Model': case 'Functional': case 'Sequential': return problem('a nested model is not supported; flatten it into one model before saving');
    default: return problem('layer not supported');
  }
  return problems.length > before ? [] : out;
}

// Keras recurrent layers (LSTM, GRU, SimpleRNN) → Axon's PyTorch-layout recurrent layers.
//   kernel (I, G·H) → weight_ih (G·H, I), recurrent_kernel (H, G·H) → weight_hh (G·H, H) (transposed);
//   LSTM  gates i, f, c, o = PyTorch's i, f, g, o; bias → bias_ih, bias_hh = 0.
//   GRU   Keras' gate order z, r, h → PyTorch's r, z, n. Only reset_after=True (Keras 2's default):
//         h~ = tanh(W_h x + b_h + r * (U_h h + b_rh)) is PyTorch's GRU, bias (2, 3H) = [input, recurrent].
//         reset_after=False (Keras 1, and the only form tfjs-layers builds) applies r before U_h: a
//         different function, refused.
//   SimpleRNN  tanh only; bias → bias_ih.
// activation must be tanh and recurrent_activation sigmoid (tfjs-layers' default is hard_sigmoid:
// refused). Output: the last state, or the sequence with return_sequences; return_state adds h (and,
// for the LSTM, c) as outputs `layer:1` (`layer:2`). go_backwards, stateful and unroll are refused; dropout / recurrent_dropout are not
// applied (they only act in training). Weights are found as `<layer>/kernel` or `<layer>/<cell>/kernel`.
import { LSTM, GRU, SimpleRNN, Recurrent } from '../layers/recurrent.js';
import type { TfjsWeights } from './tfjs_weights.js';
import type { KLayer, MapContext } from './tfjs_types.js';

const CELL: Record<string, { gates: number; cell: string; make: (o: ConstructorParameters<typeof LSTM>[0]) => Recurrent }> = {
  LSTM: { gates: 4, cell: 'lstm_cell', make: (o) => new LSTM(o) },
  GRU: { gates: 3, cell: 'gru_cell', make: (o) => new GRU(o) },
  SimpleRNN: { gates: 1, cell: 'simple_rnn_cell', make: (o) => new SimpleRNN(o) },
};

/** (rows, G·H) Keras → (G·H, rows) Axon, with gate block `order[k]` of Keras as Axon's block k. */
function transposeGates(w: Float32Array, rows: number, G: number, H: number, order: number[]): Float32Array {
  const t = new Float32Array(w.length), cols = G * H;
  for (let k = 0; k < G; k++) for (let j = 0; j < H; j++) for (let r = 0; r < rows; r++) t[(k * H + j) * rows + r] = w[r * cols + order[k] * H + j];
  return t;
}
const reorder = (b: Float32Array, G: number, H: number, order: number[]) => Float32Array.from({ length: G * H }, (_, i) => b[order[Math.floor(i / H)] * H + (i % H)]);

/** The Axon layer and weights for a Keras LSTM / GRU / SimpleRNN, or a problem description. */
export function mapKerasRecurrent(kl: KLayer, ctx: MapContext, name: string): { layer: Recurrent; w: Record<string, Float32Array>; from: Record<string, string> } | string {
  const c = kl.config, spec = CELL[kl.class_name], G = spec.gates, H = c.units as number;
  const act = c.activation ?? 'tanh', rec = c.recurrent_activation ?? 'sigmoid';
  if (act !== 'tanh') return `activation "${act}": only tanh is supported`;
  if (G > 1 && rec !== 'sigmoid') return `recurrent_activation "${rec}": only sigmoid is supported (tfjs-layers defaults to hardSigmoid: build with recurrentActivation: 'sigmoid')`;
  for (const k of ['go_backwards', 'stateful', 'unroll']) if (c[k]) return `${k}=true is not supported`;
  if (kl.class_name === 'GRU' && !c.reset_after) return "reset_after=false is not supported: Axon's GRU is the reset-after form (Keras 2's default, PyTorch's); tfjs-layers builds only reset_after=false";
  const get = (w: string): TfjsWeights | undefined => ctx.find(name, w) ?? ctx.find(`${name}/${spec.cell}`, w);
  const need = (w: string) => get(w) ?? ctx.bad(`layer ${name}: weight "${name}/${w}" is missing from the weights`);
  const k = need('kernel'), r = need('recurrent_kernel'), b = c.use_bias === false ? undefined : need('bias');
  const I = k.dims[0];
  if (k.dims.join() !== [I, G * H].join() || r.dims.join() !== [H, G * H].join()) return `kernel [${k.dims}] / recurrent_kernel [${r.dims}] do not fit ${H} units`;
  const order = kl.class_name === 'GRU' ? [1, 0, 2] : Array.from({ length: G }, (_, i) => i);
  let bi = new Float32Array(G * H), bh = new Float32Array(G * H);
  if (b) {
    const two = kl.class_name === 'GRU';
    if (b.data.length !== (two ? 2 : 1) * G * H) return `bias of shape [${b.dims}] does not fit ${H} units${two ? ' (reset_after GRU biases are (2, 3·units))' : ''}`;
    bi = reorder(b.data.subarray(0, G * H), G, H, order);
    if (two) bh = reorder(b.data.subarray(G * H), G, H, order);
  }
  // Keras' LSTM / SimpleRNN have one bias: bias_hh stays zero and untrained, so training matches Keras too
  // return_state: Keras' outputs [output, h, (c)] are Axon's [layer, layer:1, (layer:2)]
  const layer = spec.make({ units: H, returnSequences: c.return_sequences === true, returnState: c.return_state === true, ...(kl.class_name === 'GRU' ? {} : { recurrentBias: false }) });
  const src = (w: string) => (ctx.find(name, w) ? `${name}/${w}` : `${name}/${spec.cell}/${w}`);
  return {
    layer,
    w: { weight_ih: transposeGates(k.data, I, G, H, order), weight_hh: transposeGates(r.data, H, G, H, order), bias_ih: bi, bias_hh: bh },
    from: { weight_ih: src('kernel'), weight_hh: src('recurrent_kernel'), ...(b ? { bias_ih: src('bias'), ...(kl.class_name === 'GRU' ? { bias_hh: src('bias') } : {}) } : {}) },
  };
}

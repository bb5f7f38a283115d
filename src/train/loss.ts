// Losses as plan instructions, PyTorch semantics ('mean' averages over samples for cross-entropy,
// over all elements for MSE/BCE). Cross-entropy on an output of rank ≥ 2 ([steps, classes]: a
// language model's next-token probabilities at every position) scores every position: labels
// [n, steps], the mean over samples and positions (torch's cross_entropy on [n·steps, classes]). A final softmax (sigmoid) followed by cross-entropy (binary
// cross-entropy) is fused into the from-logits kernel: stabler and cheaper.
import { AxonError } from '../errors.js';
import { Plan, Buf } from '../compile/plan.js';
import { Activation } from '../layers/activation.js';
import { Layer, size } from '../layers/layer.js';

export type LossName = 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' | 'mse' | 'binaryCrossentropy';
export const LOSSES: readonly LossName[] = ['sparseCategoricalCrossentropy', 'categoricalCrossentropy', 'mse', 'binaryCrossentropy'];

export interface LossSpec {
  name: LossName;
  reduction: 'mean' | 'sum';
  /** the model outputs logits (no final softmax/sigmoid) */
  fromLogits: boolean;
  targetDtype: 'f32' | 'i32';
  targetPerSample: number;
  outputs: number;
  /** cross-entropy: the rows scored per sample (the output's leading dimensions; 1 for [classes]) */
  positions: number;
}

/** Classes per scored row (cross-entropy) or values per sample. */
export const classesOf = (s: LossSpec): number => s.outputs / s.positions;

export function lossSpec(name: string, outputShape: number[], opts: { reduction?: 'mean' | 'sum'; fromLogits?: boolean } = {}): LossSpec {
  if (!LOSSES.includes(name as LossName)) throw new AxonError('BAD_CONFIG', `unknown loss "${name}"; use one of ${LOSSES.join(', ')}`);
  const outputs = size(outputShape);
  const ce = name === 'sparseCategoricalCrossentropy' || name === 'categoricalCrossentropy';
  const positions = ce && outputShape.length >= 2 ? size(outputShape.slice(0, -1)) : 1;
  return {
    name: name as LossName, reduction: opts.reduction ?? 'mean', fromLogits: opts.fromLogits ?? false,
    targetDtype: ce ? 'i32' : 'f32', targetPerSample: ce ? positions : outputs, outputs, positions,
  };
}

export interface Fusion { skipLast: boolean; kind: 'xent_logits' | 'bce_logits' | 'bce' | 'mse' }

/** How the loss attaches to the output unit `last` (a final softmax / sigmoid is fused into it). */
export function lossPlan(spec: LossSpec, last: Layer): Fusion {
  const act = last instanceof Activation ? last.activation : undefined;
  switch (spec.name) {
    case 'mse': return { skipLast: false, kind: 'mse' };
    case 'binaryCrossentropy':
      if (act === 'sigmoid') return { skipLast: true, kind: 'bce_logits' };
      return { skipLast: false, kind: spec.fromLogits ? 'bce_logits' : 'bce' };
    default:
      if (act === 'softmax') return { skipLast: true, kind: 'xent_logits' };
      if (spec.fromLogits) return { skipLast: false, kind: 'xent_logits' };
      throw new AxonError('BAD_CONFIG', `${spec.name} needs a final softmax activation, or fromLogits: true when the model outputs logits`);
  }
}

/** weight: the loss's weight in the total (folded into the kernels' scale, so the loss buffer holds weight · loss) */
export interface LossIO { pred: Buf; dpred?: Buf; target: Buf; loss: Buf; batch: number; fused: Fusion; weight?: number }

export function emitLoss(plan: Plan, spec: LossSpec, io: LossIO): void {
  const { pred, dpred, target, loss, batch, fused } = io, w = io.weight ?? 1;
  const n = batch * spec.outputs;
  const mean = spec.reduction === 'mean';
  if (fused.kind === 'xent_logits') {
    const rows = batch * spec.positions;
    const a = { x: pred, y: target, rows, cols: classesOf(spec), scale: w * (mean ? 1 / rows : 1) };
    plan.emit('xent_logits_fwd', { loss, ...a }, 'loss');
    plan.emit('check_finite', { x: loss, n: 1 }, 'loss');
    if (dpred !== undefined) plan.emit('xent_logits_bwd', { dx: dpred, ...a }, 'loss');
    return;
  }
  const scale = w * (mean ? 1 / n : 1);
  const [fwd, bwd, x] = fused.kind === 'mse' ? ['mse_fwd', 'mse_bwd', 'p'] : fused.kind === 'bce' ? ['bce_fwd', 'bce_bwd', 'p'] : ['bce_logits_fwd', 'bce_logits_bwd', 'x'];
  plan.emit(fwd, { loss, [x]: pred, t: target, n, scale }, 'loss');
  plan.emit('check_finite', { x: loss, n: 1 }, 'loss');
  if (dpred !== undefined) plan.emit(bwd, { [fused.kind === 'bce_logits' ? 'dx' : 'dp']: dpred, [x]: pred, t: target, n, scale }, 'loss');
}

/** One output's loss: which output (index in the model's outputs), its spec and its weight in the total. */
export interface OutputLoss { output: number; name: string; spec: LossSpec; weight: number }

/**
 * The losses of compile(): one loss name for a single-output model (or the same loss for every
 * output), a { output: loss } map or a list in output order; outputs without one are not trained.
 */
export function compileLosses(loss: string | Record<string, string> | string[], weights: Record<string, number> | number[] | undefined,
  outputs: string[], shapes: number[][], opts: { reduction?: 'mean' | 'sum'; fromLogits?: boolean }): OutputLoss[] {
  const names = typeof loss === 'string' ? outputs.map(() => loss) : Array.isArray(loss) ? loss : outputs.map((o) => loss?.[o]);
  if (!Array.isArray(loss) && typeof loss === 'object' && loss !== null) {
    const extra = Object.keys(loss).filter((k) => !outputs.includes(k));
    if (extra.length) throw new AxonError('BAD_CONFIG', `loss names ${extra.map((k) => `"${k}"`).join(', ')}, which ${extra.length === 1 ? 'is' : 'are'} not an output (outputs: ${outputs.join(', ')})`);
  } else if (typeof loss !== 'string' && !Array.isArray(loss)) throw new AxonError('BAD_CONFIG', `loss must be a loss name, a { output: loss } map or a list, got ${JSON.stringify(loss)}`);
  if (names.length !== outputs.length) throw new AxonError('BAD_CONFIG', `${names.length} losses for ${outputs.length} outputs (${outputs.join(', ')})`);
  const w = (k: number): number => {
    const v = weights === undefined ? 1 : Array.isArray(weights) ? weights[k] : weights[outputs[k]] ?? 1;
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new AxonError('BAD_CONFIG', `lossWeights for output "${outputs[k]}" must be a finite number >= 0, got ${JSON.stringify(v)}`);
    return v;
  };
  if (Array.isArray(weights) && weights.length !== outputs.length) throw new AxonError('BAD_CONFIG', `${weights.length} lossWeights for ${outputs.length} outputs`);
  const out = names.flatMap((n, k) => (n === undefined || n === null ? [] : [{ output: k, name: outputs[k], spec: lossSpec(n, shapes[k], opts), weight: w(k) }]));
  if (!out.length) throw new AxonError('BAD_CONFIG', `no output has a loss (outputs: ${outputs.join(', ')})`);
  return out;
}

// Losses as plan instructions, PyTorch semantics ('mean' averages over samples for cross-entropy,
// over all elements for MSE/BCE). A final softmax (sigmoid) followed by cross-entropy (binary
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
}

export function lossSpec(name: string, outputShape: number[], opts: { reduction?: 'mean' | 'sum'; fromLogits?: boolean } = {}): LossSpec {
  if (!LOSSES.includes(name as LossName)) throw new AxonError('BAD_CONFIG', `unknown loss "${name}"; use one of ${LOSSES.join(', ')}`);
  const outputs = size(outputShape);
  const ce = name === 'sparseCategoricalCrossentropy' || name === 'categoricalCrossentropy';
  return {
    name: name as LossName, reduction: opts.reduction ?? 'mean', fromLogits: opts.fromLogits ?? false,
    targetDtype: ce ? 'i32' : 'f32', targetPerSample: ce ? 1 : outputs, outputs,
  };
}

export interface Fusion { skipLast: boolean; kind: 'xent_logits' | 'bce_logits' | 'bce' | 'mse' }

/** How the loss attaches to the last unit. */
export function lossPlan(spec: LossSpec, units: Layer[]): Fusion {
  const last = units[units.length - 1];
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

export interface LossIO { pred: Buf; dpred?: Buf; target: Buf; loss: Buf; batch: number; fused: Fusion }

export function emitLoss(plan: Plan, spec: LossSpec, io: LossIO): void {
  const { pred, dpred, target, loss, batch, fused } = io;
  const n = batch * spec.outputs;
  const mean = spec.reduction === 'mean';
  if (fused.kind === 'xent_logits') {
    const a = { x: pred, y: target, rows: batch, cols: spec.outputs, scale: mean ? 1 / batch : 1 };
    plan.emit('xent_logits_fwd', { loss, ...a }, 'loss');
    plan.emit('check_finite', { x: loss, n: 1 }, 'loss');
    if (dpred !== undefined) plan.emit('xent_logits_bwd', { dx: dpred, ...a }, 'loss');
    return;
  }
  const scale = mean ? 1 / n : 1;
  const [fwd, bwd, x] = fused.kind === 'mse' ? ['mse_fwd', 'mse_bwd', 'p'] : fused.kind === 'bce' ? ['bce_fwd', 'bce_bwd', 'p'] : ['bce_logits_fwd', 'bce_logits_bwd', 'x'];
  plan.emit(fwd, { loss, [x]: pred, t: target, n, scale }, 'loss');
  plan.emit('check_finite', { x: loss, n: 1 }, 'loss');
  if (dpred !== undefined) plan.emit(bwd, { [fused.kind === 'bce_logits' ? 'dx' : 'dp']: dpred, [x]: pred, t: target, n, scale }, 'loss');
}

// Kernel sets. Besides the 'full' wasm build (every op, every kernel exported for tests), there
// are two smaller ones that export only the plan ABI, so bundlers' and pages' downloads carry only
// kernels plans can reach: 'core' leaves out the transformer kernel families, and 'infer' also the
// training ops (backward passes, losses, optimizers, augmentation). infer ⊂ core ⊂ full. The op
// codes are the same in all (one op list, one hash); a smaller build refuses a plan with an op it
// lacks (unknown op), and the host says so first (runtime/bound.ts). A model that picks its own
// engine asks for the smallest set its session needs (model/engine_choice.ts).
import type { OpSpec } from './ops.js';

export type KernelSet = 'infer' | 'core' | 'full';

/** Families (assembly/kernels/<family>.ts) only the full build carries. */
export const TRANSFORMER_FAMILIES: ReadonlySet<string> = new Set(['embed', 'layernorm', 'attention', 'seqpool', 'q8_dyn']);
const TRAINING_FAMILIES: ReadonlySet<string> = new Set(['loss', 'optim', 'augment']);
const TRAINING_OP = /_(bwd|grad|train)(_|$)|^(dropout_fwd|rng_uniform|rng_normal|gaussian_noise)$/;

/** Whether op only runs in training plans (gradients, losses, optimizer steps, augmentation). */
export const isTrainingOp = (op: Pick<OpSpec, 'family' | 'name'>): boolean => TRAINING_FAMILIES.has(op.family) || TRAINING_OP.test(op.name);

/** Whether a build of this kernel set runs op. */
export const inKernelSet = (op: Pick<OpSpec, 'family' | 'name'>, set: KernelSet): boolean =>
  set === 'full' || (!TRANSFORMER_FAMILIES.has(op.family) && (set === 'core' || !isTrainingOp(op)));

/** The wasm's kernel_set() number of each set. */
export const KERNEL_SET_CODES: Record<KernelSet, number> = { infer: 0, core: 1, full: 2 };

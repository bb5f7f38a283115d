// Plan peepholes for a convolution and what follows it, the same float ops in fewer passes (bit-identical):
//   forward: conv2d_bias_fwd + leaky_relu_fwd or relu6_fwd over all of its output → conv2d_bias_act_fwd /
//     conv2d_bias_relu6_fwd, the activation applied in the convolution's store epilogue; a Dense layer's
//     gemm_bias_act + the same → gemm_bias_act with that activation. The conv's own
//     output is then never written, so the caller passes the buffers only the next instruction reads; the
//     activation's backward takes its mask from the activation's output instead (leaky with alpha >= 0 and
//     ReLU6 keep the signs / the open interval (0, 6)). Not fused when the output shares memory with the
//     conv's input (inference sessions share by liveness).
//   inference only: conv2d_fwd + batchnorm_fwd_eval (+ leaky_relu_fwd | relu6_fwd) → conv2d_bn_act_fwd (the
//     batch norm's backward would read the conv's output); its 1/sqrt(var + eps) table goes at the end of
//     the shared scratch, which grows by OC floats (not fused when the layout is final and it is too small).
//   inference only: zeropad2d_fwd + the conv2d_fwd / conv2d_bias_fwd that alone reads its output → that
//     convolution over the unpadded input with the padding added to its own (Keras' ZeroPadding2D before a
//     stride-2 convolution, TF's Pad): one pass and one image copy less. The padded taps the convolution
//     then skips (the direct paths) or reads as zeros (the implicit GEMM's padded copy) add ±0, so its
//     sums are the same but for the sign of an all-zero one. Not folded when the convolution would then
//     take a slower path: a group-1 convolution whose zero-padded copy would be too big for its scratch
//     (conv_igemm.ts PAD_MAX; MobileNetV2's first layer, 225 x 225 x 3, keeps its ZeroPadding2D).
//   backward: leaky_relu_bwd + bias_grad of the dx it wrote → leaky_relu_bwd_bias_grad (one pass), for
//     channel counts that are a multiple of 4.
//   training: fill(g, 0) of a whole gradient buffer whose next use is a gemm accumulating into all of g → that
//     gemm with accumulate 0 (dropZeroFills; 0 + s is s, only a -0 sum comes out as -0 instead of +0). Besides
//     a pass over g, it saves the 2-thread step a fill that cuts g across the cores one way (contiguous
//     halves) right after the gemm wrote it the other way (column blocks).
import { Buf, Instr, Plan } from './plan.js';
import { opByName, conv2dScratchFloats, convOut, padFloats, type PtrArg } from '../ops.js';

const root = (plan: Plan, id: Buf): Buf => { const b = plan.layout.get(id); return b.root < 0 ? id : b.root; };
const named = (ins: Instr): Record<string, number> => Object.fromEntries(ins.op.args.map((a, k) => [a.name, ins.args[k]]));
const make = (plan: Plan, op: string, args: Record<string, number>, label: string): Instr => new Plan(plan.layout).emit(op, args, label).instrs[0];
const aliases = (plan: Plan, reads: Buf[], y: Buf): boolean => reads.some((k) => root(plan, k) === root(plan, y));

/** An activation instruction as the fused ops' act / alpha (1 leaky ReLU, 2 ReLU6), or undefined for any other. */
function epilogueAct(ins: Instr | undefined): { act: number; alpha: number } | undefined {
  if (ins?.op.name === 'relu6_fwd') return { act: 2, alpha: 0 };
  return ins?.op.name === 'leaky_relu_fwd' ? { act: 1, alpha: named(ins).alpha } : undefined;
}

/** Elements of a convolution's output y (the registry's extent of y). */
function convOutputLength(d: Record<string, number>): number {
  return (opByName('conv2d_bias_fwd').args.find((x) => x.name === 'y') as PtrArg).len(d);
}

/**
 * Rewrites `plan` in place. `onlyReadByNext`: the units (instruction labels) whose output nothing
 * but the next unit reads; by unit, as units of an inference session share buffers. `inference`: a
 * plan without backward passes (the batch-norm fusion).
 */
export function fuseConvActivation(plan: Plan, onlyReadByNext: ReadonlySet<string>, inference = false): void {
  if (inference) foldZeroPadding(plan, onlyReadByNext);
  const ins = plan.instrs;
  const masks = new Map<Buf, Buf>();   // a fused conv's unwritten output → the activation's output with its signs
  for (let i = 0; i < ins.length; i++) {
    const op = ins[i].op.name, a = named(ins[i]), next = ins[i + 1], b = next ? named(next) : {};
    if (op === 'conv2d_fwd' && inference && next?.op.name === 'batchnorm_fwd_eval') fuseBatchNorm(plan, i, onlyReadByNext);
    else if (op === 'conv2d_bias_fwd' || (op === 'gemm_bias_act' && a.act === 0)) {
      const conv = op === 'conv2d_bias_fwd', out = conv ? a.y : a.c, e = epilogueAct(next);
      if (!e || b.x !== out || !onlyReadByNext.has(ins[i].label) || b.n !== (conv ? convOutputLength(a) : a.M * a.N) || !(e.act === 2 || e.alpha >= 0)) continue;
      if (aliases(plan, conv ? [a.x, a.w, a.b, a.scratch] : [a.a, a.b, a.bias, a.scratch], b.y)) continue;
      ins.splice(i, 2, !conv ? make(plan, 'gemm_bias_act', { ...a, c: b.y, ...e }, ins[i].label)
        : e.act === 2 ? make(plan, 'conv2d_bias_relu6_fwd', { ...a, y: b.y }, ins[i].label)
        : make(plan, 'conv2d_bias_act_fwd', { ...a, y: b.y, alpha: e.alpha }, ins[i].label));
      masks.set(out, b.y);
    } else if (op === 'relu6_bwd' && masks.has(a.x)) {
      ins[i] = make(plan, 'relu6_bwd', { ...a, x: masks.get(a.x)! }, ins[i].label);
    } else if (op === 'leaky_relu_bwd') {
      const y = masks.get(a.x) ?? a.x;
      // (fused only for whole vectors per row: with a ragged row the two flat passes are faster)
      if (next?.op.name === 'bias_grad' && b.dy === a.dx && b.M * b.N === a.n && a.alpha >= 0 && b.N % 4 === 0) {
        ins.splice(i, 2, make(plan, 'leaky_relu_bwd_bias_grad', { dx: a.dx, db: b.db, dy: a.dy, y, M: b.M, N: b.N, alpha: a.alpha }, next.label));
      } else if (y !== a.x) ins[i] = make(plan, 'leaky_relu_bwd', { ...a, x: y }, ins[i].label);
    }
  }
}

/** conv2d_fwd at i + batchnorm_fwd_eval (+ an activation) → conv2d_bn_act_fwd, when nothing else reads what they wrote. */
function fuseBatchNorm(plan: Plan, i: number, onlyReadByNext: ReadonlySet<string>): void {
  const ins = plan.instrs, a = named(ins[i]), b = named(ins[i + 1]), len = convOutputLength(a);
  if (b.x !== a.y || b.C !== a.OC || b.M * b.C !== len || !onlyReadByNext.has(ins[i].label)) return;
  const third = ins[i + 2], c = third ? named(third) : {}, e = epilogueAct(third);
  const withAct = e !== undefined && c.x === b.y && c.n === len && onlyReadByNext.has(ins[i + 1].label);
  const y = withAct ? c.y : b.y;
  if (aliases(plan, [a.x, a.w, a.scratch, b.gamma, b.beta, b.runMean, b.runVar], y)) return;
  if (!fitScratch(plan, a.scratch, conv2dScratchFloats(a) + a.OC)) return;
  ins.splice(i, withAct ? 3 : 2, make(plan, 'conv2d_bn_act_fwd',
    { ...a, y, gamma: b.gamma, beta: b.beta, runMean: b.runMean, runVar: b.runVar, eps: b.eps, ...(withAct ? e : { act: 0, alpha: 0 }) }, ins[i].label));
}

/** Whether the scratch buffer holds `need` floats, growing it when the layout is not final yet and it is a root buffer. */
function fitScratch(plan: Plan, scratch: Buf, need: number): boolean {
  const s = plan.layout.get(scratch);
  if (s.count >= need) return true;
  if (plan.layout.finalized || s.root >= 0) return false;
  plan.layout.grow(scratch, need);
  return true;
}

/** zeropad2d_fwd + the convolution that alone reads its output → the convolution with the padding (inference plans). */
function foldZeroPadding(plan: Plan, onlyReadByNext: ReadonlySet<string>): void {
  const ins = plan.instrs;
  for (let i = ins.length - 2; i >= 0; i--) {
    const next = ins[i + 1], op = next.op.name;
    if (ins[i].op.name !== 'zeropad2d_fwd' || (op !== 'conv2d_fwd' && op !== 'conv2d_bias_fwd') || !onlyReadByNext.has(ins[i].label)) continue;
    const z = named(ins[i]), c = named(next);
    if (c.x !== z.y || c.N !== z.N || c.C !== z.C || c.H !== z.H + z.padT + z.padB || c.W !== z.W + z.padL + z.padR) continue;
    const d: Record<string, number> = { ...c, x: z.x, H: z.H, W: z.W, padT: c.padT + z.padT, padL: c.padL + z.padL, padB: c.padB + z.padB, padR: c.padR + z.padR };
    if (d.groups === 1 && padFloats({ ...d, ...convOut(d) }) < 0) continue;
    if (aliases(plan, [z.x], c.y)) continue;
    if (!fitScratch(plan, c.scratch, conv2dScratchFloats(d))) continue;
    ins.splice(i, 2, make(plan, op, d, next.label));
  }
}

/** Rewrites a training plan in place: a zero fill of a whole root buffer, next used as the whole output of an accumulating gemm, goes. */
export function dropZeroFills(plan: Plan): void {
  const ins = plan.instrs, uses = (k: number, y: Buf) => ins[k].op.args.some((a, n) => a.kind === 'ptr' && root(plan, ins[k].args[n]) === y);
  for (let i = ins.length - 1; i >= 0; i--) {
    if (ins[i].op.name !== 'fill') continue;
    const f = named(ins[i]), buf = plan.layout.get(f.y);
    if (!Object.is(f.v, 0) || buf.root >= 0 || buf.count !== f.n) continue;
    let j = i + 1;
    while (j < ins.length && !uses(j, f.y)) j++;
    const g = j < ins.length ? named(ins[j]) : {};
    if (ins[j]?.op.name !== 'gemm' || g.c !== f.y || g.accumulate !== 1 || g.M * g.N !== f.n || aliases(plan, [g.a, g.b, g.scratch], f.y)) continue;
    ins[j] = make(plan, 'gemm', { ...g, accumulate: 0 }, ins[j].label);
    ins.splice(i, 1);
  }
}

// Plan peepholes for Conv2D + bias + (leaky) ReLU, the same float ops in fewer passes (bit-identical):
//   forward: conv2d_bias_fwd + leaky_relu_fwd over all of its output → conv2d_bias_act_fwd, writing the
//     ReLU's output directly from the implicit GEMM's stores. The conv's own output is then never
//     written, so the caller passes the buffers only the next instruction reads; the ReLU's backward
//     takes its mask from the ReLU's output instead (alpha >= 0: the same signs). Not fused when the
//     ReLU's output shares memory with the conv's input (inference sessions share by liveness).
//   backward: leaky_relu_bwd + bias_grad of the dx it wrote → leaky_relu_bwd_bias_grad (one pass), for
//     channel counts that are a multiple of 4.
import { Buf, Instr, Plan } from './plan.js';
import { opByName, type PtrArg } from '../ops.js';

const root = (plan: Plan, id: Buf): Buf => { const b = plan.layout.get(id); return b.root < 0 ? id : b.root; };
const named = (ins: Instr): Record<string, number> => Object.fromEntries(ins.op.args.map((a, k) => [a.name, ins.args[k]]));
const make = (plan: Plan, op: string, args: Record<string, number>, label: string): Instr => new Plan(plan.layout).emit(op, args, label).instrs[0];

/**
 * Rewrites `plan` in place. `onlyReadByNext`: the units (instruction labels) whose output nothing
 * but the next unit reads; by unit, as units of an inference session share buffers.
 */
/** Elements of a conv2d_bias_fwd's output y (the registry's extent of y). */
function convOutputLength(d: Record<string, number>): number {
  return (opByName('conv2d_bias_fwd').args.find((x) => x.name === 'y') as PtrArg).len(d);
}

export function fuseConvActivation(plan: Plan, onlyReadByNext: ReadonlySet<string>): void {
  const ins = plan.instrs;
  const masks = new Map<Buf, Buf>();   // a fused conv's unwritten output → the ReLU output with its signs
  for (let i = 0; i < ins.length; i++) {
    const a = named(ins[i]), next = ins[i + 1], b = next ? named(next) : {};
    if (ins[i].op.name === 'conv2d_bias_fwd' && next?.op.name === 'leaky_relu_fwd') {
      if (b.x !== a.y || !onlyReadByNext.has(ins[i].label) || b.n !== convOutputLength(a) || !(b.alpha >= 0)) continue;
      if ([a.x, a.w, a.b, a.scratch].some((k) => root(plan, k) === root(plan, b.y))) continue;
      ins.splice(i, 2, make(plan, 'conv2d_bias_act_fwd', { ...a, y: b.y, alpha: b.alpha }, ins[i].label));
      masks.set(a.y, b.y);
    } else if (ins[i].op.name === 'leaky_relu_bwd') {
      const y = masks.get(a.x) ?? a.x;
      // (fused only for whole vectors per row: with a ragged row the two flat passes are faster)
      if (next?.op.name === 'bias_grad' && b.dy === a.dx && b.M * b.N === a.n && a.alpha >= 0 && b.N % 4 === 0) {
        ins.splice(i, 2, make(plan, 'leaky_relu_bwd_bias_grad', { dx: a.dx, db: b.db, dy: a.dy, y, M: b.M, N: b.N, alpha: a.alpha }, next.label));
      } else if (y !== a.x) ins[i] = make(plan, 'leaky_relu_bwd', { ...a, x: y }, ins[i].label);
    }
  }
}

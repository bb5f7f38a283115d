// A Layout placed in an engine's arena, and plans loaded next to it: typed access to buffers by
// name and one-call plan execution with clear errors.
import { AxonError } from '../errors.js';
import { Layout, Plan } from '../compile/plan.js';
import { Engine } from './engine.js';
import { inKernelSet } from '../kernel_sets.js';

const PLAN_ERRORS: Record<number, string> = {
  [-1]: 'plan is truncated', [-2]: 'not an Axon plan (bad magic)', [-3]: 'unsupported plan version',
  [-4]: 'a buffer lies outside wasm memory or a buffer id is out of range', [-5]: 'unknown opcode (plan from a newer Axon?)',
  [-6]: 'instruction argument count does not match the op',
};

export interface LoadedPlan { plan: Plan; ptr: number; bytes: number }

export class BoundLayout {
  readonly base: number;
  constructor(readonly engine: Engine, readonly layout: Layout) {
    this.base = engine.allocZeroed(layout.bytes);
  }

  ptr(id: number): number { return this.base + this.layout.get(id).offset; }
  f32(id: number): Float32Array { const b = this.layout.get(id); return this.engine.f32(this.base + b.offset, b.bytes >> 2); }
  i32(id: number): Int32Array { const b = this.layout.get(id); return this.engine.i32(this.base + b.offset, b.bytes >> 2); }
  u8(id: number): Uint8Array { const b = this.layout.get(id); return this.engine.u8(this.base + b.offset, b.bytes); }

  /** Copies a plan into the arena (into `reuse`, a dropped plan's block, when it fits) and validates it inside wasm too. */
  load(plan: Plan, reuse?: { ptr: number; bytes: number }): LoadedPlan {
    if (plan.layout !== this.layout) throw new AxonError('PLAN_INVALID', `plan "${plan.name}" was built for another layout`);
    const set = this.engine.kernelSet, miss = plan.instrs.find((ins) => !inKernelSet(ins.op, set));
    if (miss) throw new AxonError('UNSUPPORTED', `plan "${plan.name}": ${miss.label ?? 'an instruction'} needs op ${miss.op.name}, which the ${set} kernel build this engine loaded lacks; load the engine with { kernels: 'full' }`, { kernelSet: set, op: miss.op.name });
    const words = plan.encode();
    const fits = reuse !== undefined && reuse.bytes >= words.byteLength;
    const ptr = fits ? reuse.ptr : this.engine.put(words);
    if (fits) this.engine.write(ptr, words);
    const rc = this.engine.exports.plan_validate(ptr, words.byteLength, this.base);
    if (rc !== 0) throw new AxonError('PLAN_INVALID', `plan "${plan.name}": ${PLAN_ERRORS[rc] ?? `error ${rc}`}`);
    return { plan, ptr, bytes: fits ? reuse.bytes : words.byteLength };
  }

  /** Runs a loaded plan in one wasm call. Throws NOT_FINITE naming the failed check's label. */
  run(p: LoadedPlan): void {
    const rc = this.engine.exports.plan_run(p.ptr, this.base);
    this.engine.afterRun();
    if (rc !== 0) {
      const ins = p.plan.instrs[rc - 1];
      throw new AxonError('NOT_FINITE', `${ins?.label ?? `instruction ${rc - 1}`}: non-finite values (NaN or Inf)`, { instruction: rc - 1, label: ins?.label });
    }
  }
}

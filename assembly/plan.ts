// Plan interpreter: runs a whole inference or training step in one call.
// Plan layout (little-endian 32-bit words), produced by src/compile/plan.ts:
//   [0] magic 'AXPL'  [1] version  [2] nbuf  [3] ncode (words)
//   nbuf x (offset, bytes)  buffer table; offsets are relative to the arena base passed in
//   ncode words of code: per instruction  op, argc, args[argc]  (buffer ids, i32, or f32 bits)
// plan_validate checks structure and buffer ranges once; plan_run then trusts the plan.
import { dispatch, op_argc, op_ptr_mask, op_i32_mask } from './dispatch';
import { mtHot } from './mt';

export const PLAN_MAGIC: u32 = 0x4c505841;
export const PLAN_VERSION: u32 = 1;

export const E_SHORT: i32 = -1;
export const E_MAGIC: i32 = -2;
export const E_VERSION: i32 = -3;
export const E_BUFFER: i32 = -4;
export const E_OP: i32 = -5;
export const E_ARGS: i32 = -6;

/** 0 when the plan at `plan` (`bytes` long) is well formed for arena `base`; else a negative E_* code. */
export function plan_validate(plan: usize, bytes: usize, base: usize): i32 {
  if (bytes < 16) return E_SHORT;
  if (load<u32>(plan) != PLAN_MAGIC) return E_MAGIC;
  if (load<u32>(plan, 4) != PLAN_VERSION) return E_VERSION;
  const nbuf = <usize>load<u32>(plan, 8), ncode = <usize>load<u32>(plan, 12);
  if (nbuf > (bytes >> 3) || ncode > (bytes >> 2) || <usize>16 + (nbuf << 3) + (ncode << 2) > bytes) return E_SHORT;
  const mem = (<u64>memory.size()) << 16;
  const tab = plan + 16;
  for (let b: usize = 0; b < nbuf; b++) {
    const end = <u64>base + <u64>load<u32>(tab + (b << 3)) + <u64>load<u32>(tab + (b << 3) + 4);
    if (end > mem) return E_BUFFER;
  }
  let pc = tab + (nbuf << 3);
  const codeEnd = pc + (ncode << 2);
  while (pc < codeEnd) {
    if (pc + 8 > codeEnd) return E_ARGS;
    const op = load<i32>(pc), argc = load<i32>(pc, 4);
    const want = op_argc(op);
    if (want < 0) return E_OP;
    if (argc != want || pc + 8 + (<usize>argc << 2) > codeEnd) return E_ARGS;
    const mask = op_ptr_mask(op), ints = op_i32_mask(op);
    for (let k = 0; k < argc; k++) {
      if ((mask >> k) & 1 && <usize>load<u32>(pc + 8 + (<usize>k << 2)) >= nbuf) return E_BUFFER;
      if ((ints >> k) & 1 && load<i32>(pc + 8 + (<usize>k << 2)) < 0) return E_ARGS;
    }
    pc += 8 + (<usize>argc << 2);
  }
  return 0;
}

/** Runs a validated plan. Returns 0, or 1 + the index of the instruction whose check failed. */
export function plan_run(plan: usize, base: usize): i32 {
  const nbuf = <usize>load<u32>(plan, 8), ncode = <usize>load<u32>(plan, 12);
  const tab = plan + 16;
  let pc = tab + (nbuf << 3);
  const codeEnd = pc + (ncode << 2);
  let index = 0, rc = 0;
  mtHot(1);   // (threaded build: the workers stay awake between this plan's split instructions)
  while (pc < codeEnd) {
    const op = load<i32>(pc), argc = load<i32>(pc, 4);
    if (dispatch(op, pc + 8, tab, base) != 0) { rc = index + 1; break; }
    pc += 8 + (<usize>argc << 2);
    index++;
  }
  mtHot(0);
  return rc;
}

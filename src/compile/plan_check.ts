// Validation of an encoded plan that came from outside (a WASI bundle read by a JS host): the same
// rules the plan builder applies when it emits an instruction (src/compile/plan.ts Plan.emit),
// checked against the op registry: known op, argument count, buffer ids in the table, every buffer
// inside the arena, i32 arguments non-negative, f32 arguments finite, the op's own extent rules,
// every pointer argument's extent within its buffer, and no argument sharing memory with the scratch. Anything else is AxonError('PLAN_INVALID').
import { AxonError } from '../errors.js';
import { OPS, DTYPE_BYTES, Dims, type PtrArg } from '../ops.js';
import { PLAN_MAGIC, PLAN_VERSION } from './plan.js';

/** Throws AxonError('PLAN_INVALID', `${who}: ...`) unless `words` is a plan every kernel call of which fits an `arenaBytes` arena. */
export function checkPlanWords(words: Uint32Array, arenaBytes: number, who: string): void {
  const bad = (m: string): never => { throw new AxonError('PLAN_INVALID', `${who}: ${m}`); };
  if (words.length < 4) bad('shorter than a plan header');
  if (words[0] !== PLAN_MAGIC) bad('not a plan (bad magic)');
  if (words[1] !== PLAN_VERSION) bad(`plan version ${words[1]} is not supported (${PLAN_VERSION})`);
  const nbuf = words[2], ncode = words[3];
  if (4 + 2 * nbuf + ncode !== words.length) bad(`header says ${nbuf} buffers and ${ncode} code words, but the plan has ${words.length} words`);
  const bytes = (b: number) => words[5 + 2 * b];
  for (let b = 0; b < nbuf; b++) if (words[4 + 2 * b] + bytes(b) > arenaBytes) bad(`buffer ${b} [${words[4 + 2 * b]}, +${bytes(b)}) lies outside the ${arenaBytes}-byte arena`);
  const f32 = new Float32Array(words.buffer, words.byteOffset, words.length), i32 = new Int32Array(words.buffer, words.byteOffset, words.length);
  let pc = 4 + 2 * nbuf, index = 0;
  while (pc < words.length) {
    const at = `instruction ${index}`;
    if (pc + 2 > words.length) bad(`${at} is truncated`);
    const op = OPS[words[pc] - 1];
    if (!op || op.code !== words[pc]) bad(`${at}: unknown op code ${words[pc]}`);
    const argc = words[pc + 1];
    if (argc !== op.args.length || pc + 2 + argc > words.length) bad(`${at} (${op.name}): ${argc} arguments, the op takes ${op.args.length}`);
    const d: Dims = {};
    op.args.forEach((a, k) => {
      const w = pc + 2 + k;
      if (a.kind === 'ptr') { if (words[w] >= nbuf) bad(`${at} (${op.name}): argument ${a.name} names buffer ${words[w]} of ${nbuf}`); d[a.name] = words[w]; }
      else if (a.kind === 'i32') { if (i32[w] < 0) bad(`${at} (${op.name}): argument ${a.name} is ${i32[w]}; it must be non-negative`); d[a.name] = i32[w]; }
      else { if (!Number.isFinite(f32[w])) bad(`${at} (${op.name}): argument ${a.name} is not finite`); d[a.name] = f32[w]; }
    });
    const rule = op.validate?.(d);
    if (rule) bad(`${at} (${op.name}): ${rule}`);
    const ptrs = op.args.filter((a): a is PtrArg => a.kind === 'ptr');
    for (const a of [...ptrs.filter((x) => !x.late), ...ptrs.filter((x) => x.late)]) {   // (the order of assembly/wasi/op_check.ts)
      const need = a.len(d) * DTYPE_BYTES[a.dtype];
      if (!(need >= 0 && need <= bytes(d[a.name]))) bad(`${at} (${op.name}): argument ${a.name} needs ${need} bytes but buffer ${d[a.name]} has ${bytes(d[a.name])}`);
    }
    // a kernel's scratch is its own (kernels keep tables of offsets there): no other argument may share its bytes
    if (ptrs.some((a) => a.name === 'scratch')) {
      const off = (b: number) => words[4 + 2 * b], s = d.scratch;
      for (const a of ptrs) {
        const o = d[a.name];
        if (a.name !== 'scratch' && bytes(s) > 0 && bytes(o) > 0 && off(s) < off(o) + bytes(o) && off(o) < off(s) + bytes(s)) bad(`${at} (${op.name}): argument scratch shares memory with argument ${a.name}`);
      }
    }
    pc += 2 + argc;
    index++;
  }
}

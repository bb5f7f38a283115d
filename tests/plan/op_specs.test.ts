// The op registry's generated extents and rule tests (src/op_specs.gen.ts, scripts/gen-op-specs.mjs)
// against the same text parsed and compiled by src/op_rules.ts: every op's extents give the same
// numbers and its rules the same verdicts and messages on random dimensions (and with arguments
// missing), the committed file is what the generator makes of the registry now, and a row made from
// other text is not used.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { OPS, specKey, staleGeneratedSpecs, type OpSpec } from '../../src/ops.js';
import * as lang from '../../src/op_rules.js';
import { Rng } from '../../src/runtime/rng.js';
// @ts-expect-error: a build script (plain JS)
import { opSpecsText } from '../../scripts/gen-op-specs.mjs';

const rng = new Rng(17);
const pick = <T>(xs: readonly T[]): T => xs[rng.nextU32() % xs.length];
// half the draws from values that pass most rules (so that every rule of an op gets to run), half
// from values that probe the edges
const EASY_INTS = [1, 2, 8], EASY_PADS = [0, 0, 1], EASY_FLOATS = [0.5];
const INTS = [0, 1, 2, 3, 4, 5, 7, 8, 16, 33, 255, 256, 1 << 20, (1 << 20) + 1, 2 ** 31 - 1];
const FLOATS = [-1, -0, 0, 1e-5, 0.1, 0.5, 0.999, 1, 2, 1e30];

/** Random dimensions for an op's arguments, in one draw of fifty with one argument missing. */
function dims(op: OpSpec): Record<string, number> {
  const d: Record<string, number> = {}, easy = rng.nextU32() % 2 === 0, missing = rng.nextU32() % 50 === 0 ? pick(op.args).name : '';
  for (const a of op.args) {
    if (a.name !== missing) d[a.name] = a.kind === 'f32' ? pick(easy ? EASY_FLOATS : FLOATS) : pick(!easy ? INTS : a.name.startsWith('pad') ? EASY_PADS : EASY_INTS);
  }
  return d;
}

/** The op's extents and rules as src/op_rules.ts compiles them from the registry's text. */
function parsed(op: OpSpec) {
  const scope = (op as unknown as { scope: lang.Scope }).scope;
  return {
    len: op.args.map((a) => (a.kind === 'ptr' ? lang.compile(lang.parse(a.extent, scope), scope) : null)),
    late: op.args.map((a) => a.kind === 'ptr' && lang.externsOf(lang.parse(a.extent, scope)).size > 0),
    validate: op.rules!.length ? lang.compileRules(op.rules!, scope) : undefined,
  };
}

/** The op's generated test of its rules (row field 1). */
const generatedOk = (op: OpSpec) => (op as unknown as { generated: [number, (d: Record<string, number>) => boolean] }).generated[1];

describe('generated op specs', () => {
  it('every op has a current generated row (else: npm run build, or node scripts/gen-dispatch.mjs)', () => {
    expect(staleGeneratedSpecs()).toEqual([]);
  });

  it('the committed file is what the generator makes of the registry now', () => {
    expect(readFileSync(new URL('../../src/op_specs.gen.ts', import.meta.url), 'utf8')).toBe(opSpecsText(OPS, { ...lang, specKey }));
  });

  it('every op\'s extents, late flags and rule verdicts equal the parsed text\'s, on 400 random dimensions each', () => {
    for (const op of OPS) {
      const p = parsed(op);
      expect(op.args.map((a) => a.kind === 'ptr' && a.late === true), op.name).toEqual(p.late);
      expect(op.validate === undefined, op.name).toBe(p.validate === undefined);
      for (const d of [{}, ...Array.from({ length: 400 }, () => dims(op))]) {
        op.args.forEach((a, k) => { if (a.kind === 'ptr') expect(a.len(d), `${op.name}.${a.name} at ${JSON.stringify(d)}`).toBe(p.len[k]!(d)); });
        if (!p.validate) continue;
        const want = p.validate(d);
        expect(op.validate!(d), `${op.name} at ${JSON.stringify(d)}`).toBe(want);
        // (the generated test alone: a wrong "broken" would be hidden by the parsed messages above)
        expect(generatedOk(op)(d), `${op.name} rules hold at ${JSON.stringify(d)}`).toBe(want === null);
      }
    }
  });

  it('the random dimensions reach both verdicts for every op with rules (so the comparison above means something)', () => {
    const both = OPS.filter((op) => op.validate).filter((op) => {
      const v = Array.from({ length: 400 }, () => op.validate!(dims(op)));
      return !(v.some((m) => m === null) && v.some((m) => m !== null));
    }).map((op) => op.name);
    expect(both).toEqual([]);
  });

  it('a row is keyed by its op\'s text: another extent, dtype or rule gives another key', () => {
    const op = OPS.find((o) => o.name === 'gemm_bias_act')!, args = op.args, rules = op.rules!;
    const key = specKey(args, rules);
    expect(specKey(args.map((a) => (a.name === 'c' && a.kind === 'ptr' ? { ...a, extent: 'M * N + 1' } : a)), rules)).not.toBe(key);
    expect(specKey(args.map((a) => (a.name === 'c' && a.kind === 'ptr' ? { ...a, dtype: 'i32' as const } : a)), rules)).not.toBe(key);
    expect(specKey(args, [...rules.slice(0, -1), { ...rules[rules.length - 1], holds: 'act >= 0 && act <= 3' }])).not.toBe(key);
    expect(specKey(args, rules)).toBe(key);
  });
});

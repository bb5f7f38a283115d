// The op registry's generated extents and rule tests (src/op_specs.gen.ts, scripts/gen-op-specs.mjs)
// against the same text parsed by src/op_rules.ts: every op's stored trees are the parsed ones,
// its extents give the same numbers and its rules the same verdicts and messages on random
// dimensions (and with arguments missing), the committed file is what the generator makes of the
// registry now, and a row made from other text is not used.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { OPS, specKey, staleGeneratedSpecs, type OpSpec } from '../../src/ops.js';
import { GENERATED_EXPRS } from '../../src/op_specs.gen.js';
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

type Generated = { generated: readonly number[] | null; generatedTest: ((d: Record<string, number>) => boolean) | null };
/** The op's generated test of its rules. */
const generatedOk = (op: OpSpec) => (op as unknown as Generated).generatedTest!;

describe('generated op specs', () => {
  it('every op has a current generated row (else: npm run build, or node scripts/gen-dispatch.mjs)', () => {
    expect(staleGeneratedSpecs()).toEqual([]);
  });

  it('the committed file is what the generator makes of the registry now', () => {
    expect(readFileSync(new URL('../../src/op_specs.gen.ts', import.meta.url), 'utf8')).toBe(opSpecsText(OPS, { ...lang, specKey }));
  });

  it('every op\'s stored trees are its parsed extents and the && of its parsed rule tests', () => {
    for (const op of OPS) {
      const scope = (op as unknown as { scope: lang.Scope }).scope, row = (op as unknown as Generated).generated!;
      op.args.forEach((a, k) => { if (a.kind === 'ptr') expect(lang.fromPrefix(GENERATED_EXPRS[row[3 + k]]), `${op.name}.${a.name}`).toEqual(lang.parse(a.extent, scope)); });
      const holds = op.rules!.map((r) => lang.parse(r.holds, scope));
      if (!holds.length) expect(row[1], op.name).toBe(-1);
      else expect(lang.fromPrefix(GENERATED_EXPRS[row[1]]), op.name).toEqual(holds.reduce((a, b) => ({ k: 'bin', op: '&&', a, b })));
    }
  });

  it('prefix text reads back into the tree it was written from, and malformed text is refused', () => {
    const scope: lang.Scope = { args: new Set(['a', 'b', 'c']), macros: {}, externs: {} };
    for (const src of ['a * (b + 2.5) - c / 4 % 3', '-a + !b', 'a ? b : c ? 1 : 0', 'floor(a / 2) + max(b, min(c, 1e-5))', 'a >= 1 && (b == 2 || c != 3) && a < b'])
      expect(lang.fromPrefix(lang.toPrefix(lang.parse(src, scope))), src).toEqual(lang.parse(src, scope));
    for (const bad of ['', '+ a', '* a b c', 'floor/2 a']) expect(() => lang.fromPrefix(bad), bad).toThrow(/op expression/);
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

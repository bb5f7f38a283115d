// One op of the registry (src/ops.ts): the spec the plan builder, the checker and the dispatch
// generator read, and the class that builds an op's argument specs and rule checker when first read
// (from the build's parsed trees, src/op_specs.gen.ts, while they match the op's text). Imports
// neither ops.ts nor anything that does (ops.ts makes the list from these).
import type { ArgDef, ArgSpec, Dims } from './op_types.js';
import { parse, compile, compileRules, externsOf, fromPrefix, type Rule, type Scope } from './op_rules.js';
import { GENERATED_EXPRS, GENERATED_SPECS } from './op_specs.gen.js';
import { MACROS, EXTERNS } from './op_args.js';

export interface OpSpec {
  code: number;
  name: string;
  /** assembly/kernels/<family>.ts */
  family: string;
  /** wasm export the plan calls */
  kernel: string;
  args: ArgSpec[];
  /** kernel returns i32; nonzero stops the plan (finiteness guards) */
  check?: boolean;
  /** the argument rules (src/op_rules.ts), compiled: the first broken rule's message, or null */
  validate?: (d: Dims) => string | null;
  /** the rules as written: the WASI program's op_check is generated from them */
  rules?: readonly Rule[];
}

/** An op as listed: its arguments and rules built on first use (see Op). */
export type Def = Omit<OpSpec, 'code' | 'args' | 'validate' | 'rules'> & { args: () => ArgDef[]; rules?: () => Rule[] };

/**
 * A listed op with its code. Its argument specs are built when first read: a process builds the
 * few ops its plans use instead of ~1,300 specs at startup (~0.3 ms and ~60 KB of a cold start),
 * from the build's parsed trees (src/op_specs.gen.ts, made from this same text) while they match
 * the text, else by parsing the text (tokenizing and parsing cost a cold start ~0.5 ms).
 */
export class Op implements OpSpec {
  readonly name: string;
  readonly family: string;
  readonly kernel: string;
  readonly check?: boolean;
  private made?: ArgSpec[];
  private checker?: ((d: Dims) => string | null) | null;
  private written?: readonly Rule[];
  private defs?: ArgDef[];
  private row?: readonly number[] | null;
  private parsed?: (d: Dims) => string | null;
  private test?: ((d: Dims) => boolean) | null;
  constructor(private readonly def: Def, readonly code: number) {
    this.name = def.name; this.family = def.family; this.kernel = def.kernel;
    if (def.check !== undefined) this.check = def.check;
  }
  private get argDefs(): ArgDef[] { return (this.defs ??= this.def.args()); }
  /** Where this op's extents and rules are read: its argument names, the shared macros and externs. */
  get scope(): Scope { return { args: new Set(this.argDefs.map((a) => a.name)), macros: MACROS, externs: EXTERNS }; }
  /** This op's generated row (src/op_specs.gen.ts), when it was made from the op's current text (else null). */
  get generated(): readonly number[] | null {
    if (this.row === undefined) {
      const g = GENERATED_SPECS[this.code - 1];
      this.row = g && ((typeof AXON_SPECS_CURRENT === 'boolean' && AXON_SPECS_CURRENT) || g[0] === specKey(this.argDefs, this.rules)) ? g : null;
    }
    return this.row;
  }
  /** Whether every rule holds, from the generated row (null: no row, or no rules). */
  get generatedTest(): ((d: Dims) => boolean) | null {
    if (this.test === undefined) {
      const g = this.generated, k = g ? g[1] : -1;
      const f = k >= 0 ? compile(fromPrefix(GENERATED_EXPRS[k]), this.scope) : null;
      this.test = f && ((d) => !!f(d));
    }
    return this.test;
  }
  get args(): ArgSpec[] {
    if (this.made) return this.made;
    const g = this.generated, scope = this.scope;
    return (this.made = this.argDefs.map((a, k) => {
      if (a.kind !== 'ptr') return a;
      const node = g ? fromPrefix(GENERATED_EXPRS[g[3 + k]]) : parse(a.extent, scope);
      const late = g ? ((g[2] >> k) & 1) === 1 : externsOf(node).size > 0;
      return { ...a, len: compile(node, scope), ...(late ? { late } : {}) };
    }));
  }
  get rules(): readonly Rule[] { return (this.written ??= this.def.rules?.() ?? []); }
  get validate(): ((d: Dims) => string | null) | undefined {
    if (this.checker === undefined) {
      // generated: the rules' test, and their messages parsed only when one is broken
      const parsed = (d: Dims) => (this.parsed ??= compileRules(this.rules, this.scope))(d), ok = this.generatedTest;
      this.checker = !this.rules.length ? null : ok ? (d) => (ok(d) ? null : parsed(d)) : parsed;
    }
    return this.checker ?? undefined;
  }
}

/** FNV-1a hash of an op's argument and rule text: what its generated row was made from. */
export function specKey(args: readonly (ArgDef | ArgSpec)[], rules: readonly Rule[]): number {
  const text = [...args.map((a) => `${a.name}:${a.kind === 'ptr' ? `${a.dtype}:${a.extent}` : a.kind}`), ...rules.map((r) => `${r.holds}\u0000${r.says}`)].join('\u0001');
  let h = 0x811c9dc5;
  for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193) >>> 0;
  return h;
}

// NOTE: and AXON_SPECS_CURRENT as true: the same build has just regenerated src/op_specs.gen.ts, so
// its bundles skip the rows' hash check (specKey over an op's text, ~0.2 ms a used op unoptimized).
declare const AXON_SPECS_CURRENT: boolean | undefined;

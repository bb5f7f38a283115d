// The small arithmetic language the op registry writes argument extents and argument rules in, so
// that one text serves two evaluators: the JS host (compiled here into closures: plan building and
// src/compile/plan_check.ts) and the WASI program (scripts/gen-dispatch.mjs emits the same
// expressions as AssemblyScript f64 code into assembly/wasi/op_check.ts). Both evaluate in f64.
//
//   expr := cond ('?' expr ':' expr)?     cond := and ('||' and)*     and := cmp ('&&' cmp)*
//   cmp  := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?        sum := prod (('+' | '-') prod)*
//   prod := unary (('*' | '/' | '%') unary)*                          unary := ('-' | '!') unary | atom
//   atom := number | name | name '(' expr, ... ')' | '(' expr ')'
//
// Names are the op's arguments or macros (a macro is an expression text, expanded where it is used:
// derived sizes such as a convolution's output height, or defaults for arguments an op lacks).
// Comparisons and logic give 1 or 0; `/` is real division (floor() it for integer results).
// Functions: floor, ceil, min, max, and the externs the registry declares (scratch sizes whose
// kernels compute them in wasm too; the WASI program calls the kernel family's own function).
import { AxonError } from './errors.js';
import type { Dims } from './op_types.js';

export type Node =
  | { k: 'num'; v: number } | { k: 'arg'; name: string }
  | { k: 'un'; op: string; a: Node } | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'if'; c: Node; a: Node; b: Node } | { k: 'call'; fn: string; args: Node[] };

/** A function the language may call: its JS form, and the wasm export that computes the same (i32 arguments). */
export interface Extern { js: (...v: number[]) => number; as: { name: string; from: string }; arity: number }

/** What names mean where an expression is parsed: the op's arguments, the macros, the externs. */
export interface Scope { args: ReadonlySet<string>; macros: Readonly<Record<string, string>>; externs: Readonly<Record<string, Extern>> }

const BUILTINS: Record<string, [number, (...v: number[]) => number]> = {
  floor: [1, Math.floor], ceil: [1, Math.ceil], min: [2, Math.min], max: [2, Math.max],
};
const TOKEN = /\s*(\d+(?:\.\d+)?(?:e[+-]?\d+)?|[A-Za-z_]\w*|<=|>=|==|!=|&&|\|\||[-+*/%()<>?:,!])/y;

/** Parses `src` in `scope`; a name that is neither an argument, a macro nor a function is an error (a registry bug). */
export function parse(src: string, scope: Scope, expanding: string[] = []): Node {
  const toks: string[] = [];
  TOKEN.lastIndex = 0;
  for (let m: RegExpExecArray | null; TOKEN.lastIndex < src.length && (m = TOKEN.exec(src));) toks.push(m[1]);
  if (TOKEN.lastIndex < src.trimEnd().length) throw new AxonError('PLAN_INVALID', `op rule "${src}": cannot read from "${src.slice(TOKEN.lastIndex)}"`);
  let at = 0;
  const peek = () => toks[at], take = (t?: string) => {
    if (t !== undefined && toks[at] !== t) throw new AxonError('PLAN_INVALID', `op rule "${src}": expected "${t}" at token ${at}, got "${toks[at] ?? 'end'}"`);
    return toks[at++];
  };
  const binary = (next: () => Node, ops: string[], once = false) => (): Node => {
    let a = next();
    while (ops.includes(peek())) { a = { k: 'bin', op: take(), a, b: next() }; if (once) break; }
    return a;
  };
  const atom = (): Node => {
    const t = take();
    if (t === undefined) throw new AxonError('PLAN_INVALID', `op rule "${src}" ends early`);
    if (t === '(') { const e = expr(); take(')'); return e; }
    if (/^\d/.test(t)) return { k: 'num', v: Number(t) };
    if (!/^[A-Za-z_]/.test(t)) throw new AxonError('PLAN_INVALID', `op rule "${src}": unexpected "${t}"`);
    if (peek() === '(') {
      take('(');
      const args: Node[] = [];
      if (peek() !== ')') { args.push(expr()); while (peek() === ',') { take(','); args.push(expr()); } }
      take(')');
      const arity = BUILTINS[t]?.[0] ?? scope.externs[t]?.arity;
      if (arity === undefined) throw new AxonError('PLAN_INVALID', `op rule "${src}": unknown function ${t}`);
      if (args.length !== arity) throw new AxonError('PLAN_INVALID', `op rule "${src}": ${t} takes ${arity} arguments, got ${args.length}`);
      return { k: 'call', fn: t, args };
    }
    if (scope.args.has(t)) return { k: 'arg', name: t };
    if (t in scope.macros && !expanding.includes(t)) return parse(scope.macros[t], scope, [...expanding, t]);
    throw new AxonError('PLAN_INVALID', `op rule "${src}": ${t} is neither an argument of the op nor a macro`);
  };
  const unary = (): Node => (peek() === '-' || peek() === '!' ? { k: 'un', op: take(), a: unary() } : atom());
  const prod = binary(unary, ['*', '/', '%']), sum = binary(prod, ['+', '-']);
  const cmp = binary(sum, ['<', '<=', '>', '>=', '==', '!='], true), and = binary(cmp, ['&&']), or = binary(and, ['||']);
  const expr = (): Node => {
    const c = or();
    if (peek() !== '?') return c;
    take('?'); const a = expr(); take(':');
    return { k: 'if', c, a, b: expr() };
  };
  const e = expr();
  if (at !== toks.length) throw new AxonError('PLAN_INVALID', `op rule "${src}": unexpected "${toks[at]}"`);
  return e;
}

const CMP = new Set(['<', '<=', '>', '>=', '==', '!=']);
const B = (v: boolean) => (v ? 1 : 0);
const BIN: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b, '-': (a, b) => a - b, '*': (a, b) => a * b, '/': (a, b) => a / b, '%': (a, b) => a % b,
  '<': (a, b) => B(a < b), '<=': (a, b) => B(a <= b), '>': (a, b) => B(a > b), '>=': (a, b) => B(a >= b),
  '==': (a, b) => B(a === b), '!=': (a, b) => B(a !== b),
};

/** The JS evaluator of a parsed expression (a tree of closures; missing arguments read as NaN). */
export function compile(n: Node, scope: Scope): (d: Dims) => number {
  switch (n.k) {
    case 'num': { const v = n.v; return () => v; }
    case 'arg': { const k = n.name; return (d) => d[k] ?? NaN; }
    case 'un': { const a = compile(n.a, scope); return n.op === '-' ? (d) => -a(d) : (d) => B(!a(d)); }
    case 'if': { const c = compile(n.c, scope), a = compile(n.a, scope), b = compile(n.b, scope); return (d) => (c(d) ? a(d) : b(d)); }
    case 'call': {
      const f = BUILTINS[n.fn]?.[1] ?? scope.externs[n.fn].js, args = n.args.map((x) => compile(x, scope));
      return (d) => f(...args.map((g) => g(d)));
    }
    case 'bin': {
      const a = compile(n.a, scope), b = compile(n.b, scope);
      if (n.op === '&&') return (d) => B(!!a(d) && !!b(d));
      if (n.op === '||') return (d) => B(!!a(d) || !!b(d));
      const f = BIN[n.op];
      return (d) => f(a(d), b(d));
    }
  }
}

/** The same expression as AssemblyScript f64 code; `arg` names the local holding an argument. */
export function toAssemblyScript(n: Node, scope: Scope, arg: (name: string) => string): string {
  const go = (x: Node): string => toAssemblyScript(x, scope, arg);
  const truth = (x: Node) => `(${go(x)} != 0.0)`;
  switch (n.k) {
    case 'num': return Number.isInteger(n.v) ? `${n.v}.0` : `${n.v}`;
    case 'arg': return arg(n.name);
    case 'un': return n.op === '-' ? `(-${go(n.a)})` : `(${truth(n.a)} ? 0.0 : 1.0)`;
    case 'if': return `(${truth(n.c)} ? ${go(n.a)} : ${go(n.b)})`;
    case 'call': {
      if (n.fn in BUILTINS) return `Math.${n.fn}(${n.args.map(go).join(', ')})`;
      // externs take i32: called only when every argument is an i32 the kernel could be given, else NaN (which fails every check)
      const args = n.args.map(go);
      return `(${args.map((a) => `fitsI32(${a})`).join(' && ')} ? <f64>${scope.externs[n.fn].as.name}(${args.map((a) => `<i32>${a}`).join(', ')}) : NaN)`;
    }
    case 'bin':
      if (n.op === '&&' || n.op === '||') return `(${truth(n.a)} ${n.op} ${truth(n.b)} ? 1.0 : 0.0)`;
      if (CMP.has(n.op)) return `(${go(n.a)} ${n.op} ${go(n.b)} ? 1.0 : 0.0)`;
      return `(${go(n.a)} ${n.op} ${go(n.b)})`;
  }
}

const BINARY = new Set(['+', '-', '*', '/', '%', '<', '<=', '>', '>=', '==', '!=', '&&', '||']);

/**
 * A parsed expression as prefix text, macros expanded: `* rows cols`, `~ x` (minus), `! x`,
 * `? c a b`, `floor/1 x` (a call with its argument count), numbers and argument names as they are.
 * scripts/gen-op-specs.mjs stores the registry's extents and rule tests so (src/op_specs.gen.ts):
 * fromPrefix reads them back into the same trees without tokenizing and parsing the rule text.
 */
export function toPrefix(n: Node): string {
  switch (n.k) {
    case 'num': return String(n.v);
    case 'arg': return n.name;
    case 'un': return `${n.op === '-' ? '~' : '!'} ${toPrefix(n.a)}`;
    case 'if': return `? ${toPrefix(n.c)} ${toPrefix(n.a)} ${toPrefix(n.b)}`;
    case 'call': return [`${n.fn}/${n.args.length}`, ...n.args.map(toPrefix)].join(' ');
    case 'bin': return `${n.op} ${toPrefix(n.a)} ${toPrefix(n.b)}`;
  }
}

/** The tree of toPrefix's text. */
export function fromPrefix(text: string): Node {
  const t = text.split(' ');
  let at = 0;
  const go = (): Node => {
    const x = t[at++];
    if (x === undefined || x === '') throw new AxonError('PLAN_INVALID', `op expression "${text}" ends early`);
    if (x === '~' || x === '!') return { k: 'un', op: x === '~' ? '-' : '!', a: go() };
    if (x === '?') { const c = go(), a = go(); return { k: 'if', c, a, b: go() }; }
    if (BINARY.has(x)) { const a = go(); return { k: 'bin', op: x, a, b: go() }; }
    const slash = x.indexOf('/');
    if (slash > 0) { const fn = x.slice(0, slash), args: Node[] = []; for (let k = Number(x.slice(slash + 1)); k > 0; k--) args.push(go()); return { k: 'call', fn, args }; }
    return /^\d/.test(x) ? { k: 'num', v: Number(x) } : { k: 'arg', name: x };
  };
  const n = go();
  if (at !== t.length) throw new AxonError('PLAN_INVALID', `op expression "${text}" has more after its end`);
  return n;
}

/** Externs an expression calls (the generator imports them). */
export function externsOf(n: Node, out = new Set<string>()): Set<string> {
  if (n.k === 'call') { if (!(n.fn in BUILTINS)) out.add(n.fn); n.args.forEach((a) => externsOf(a, out)); }
  else if (n.k === 'un') externsOf(n.a, out);
  else if (n.k === 'bin') { externsOf(n.a, out); externsOf(n.b, out); }
  else if (n.k === 'if') { externsOf(n.c, out); externsOf(n.a, out); externsOf(n.b, out); }
  return out;
}

/** A rule an op's arguments must satisfy: `holds` nonzero, else the message (its `{expr}` parts filled in). */
export interface Rule { holds: string; says: string }

/** The pieces of a rule's message: text, and expressions whose values are printed between. */
export function messageParts(says: string): Array<string | { expr: string }> {
  return says.split(/\{([^}]+)\}/).map((s, k) => (k % 2 ? { expr: s } : s)).filter((s) => s !== '');
}

/** The JS form of an op's rules: the first broken rule's message, or null (numbers printed as JS prints them). */
export function compileRules(rules: readonly Rule[], scope: Scope): (d: Dims) => string | null {
  const made = rules.map((r) => ({
    holds: compile(parse(r.holds, scope), scope),
    parts: messageParts(r.says).map((s) => (typeof s === 'string' ? s : compile(parse(s.expr, scope), scope))),
  }));
  return (d) => {
    for (const r of made) if (!r.holds(d)) return r.parts.map((s) => (typeof s === 'string' ? s : String(s(d)))).join('');
    return null;
  };
}

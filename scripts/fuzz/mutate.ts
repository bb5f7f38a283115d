// Seeded mutators for the fuzz campaign: raw bytes (bit flips, interesting values, truncation,
// splices) and JSON values (one to three edits at random paths: other types, huge, negative or
// fractional numbers, null, deletions). The same seed gives the same mutants on every machine.
import { Rng } from '../../src/runtime/rng.js';

export const pick = <T>(r: Rng, a: readonly T[]): T => a[r.int(a.length)];

/** Values that break code which trusts a field's type or range. */
export const JUNK: readonly unknown[] = [
  null, true, false, 0, -1, 1, 2, 3, 1.5, -0.5, 1e9, -1e9, 2 ** 31, 2 ** 32 + 1, 2 ** 53, 1e300, -1e300,
  16_777_216, '', 'x', '1', '-1', 'NaN', 'relu', 'float32', '__proto__', [], [0], [-1], [1e9, 1e9], [null], ['a'],
  {}, { a: 1 }, { name: 5 }, 'A'.repeat(300),
];
const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x20];

/** A mutated copy of `src` (never `src` itself). `hot`: the leading bytes most edits target (a header). */
export function mutateBytes(r: Rng, src: Uint8Array, hot = src.length): Uint8Array {
  const at = () => (r.uniform() < 0.7 ? r.int(Math.max(1, Math.min(hot, src.length))) : r.int(Math.max(1, src.length)));
  const kind = r.int(7);
  if (kind === 0 || src.length === 0) { const b = src.slice(); for (let n = 1 + r.int(4); n > 0 && b.length; n--) b[at()] ^= 1 << r.int(8); return b; }
  if (kind === 1) { const b = src.slice(); for (let n = 1 + r.int(4); n > 0; n--) b[at()] = pick(r, INTERESTING); return b; }
  if (kind === 2) return src.slice(0, r.int(src.length));
  if (kind === 3) { // a little-endian u32 set to an edge value
    const b = src.slice(), p = at() & ~3;
    if (p + 4 <= b.length) new DataView(b.buffer).setUint32(p, pick(r, [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x10000, r.nextU32()]), true);
    return b;
  }
  if (kind === 4) { // a chunk removed
    const p = at(), q = Math.min(src.length, p + 1 + r.int(16)), b = new Uint8Array(src.length - (q - p));
    b.set(src.subarray(0, p)); b.set(src.subarray(q), p);
    return b;
  }
  if (kind === 5) { // a chunk duplicated
    const p = at(), n = 1 + r.int(16), c = src.subarray(p, p + n), b = new Uint8Array(src.length + c.length);
    b.set(src.subarray(0, p)); b.set(c, p); b.set(src.subarray(p), p + c.length);
    return b;
  }
  const b = src.slice(); for (let n = 1 + r.int(4); n > 0; n--) b[at()] = r.int(256); return b;
}

type Path = Array<string | number>;
function paths(x: unknown, at: Path, out: Path[], depth: number): void {
  if (depth > 40) return;
  if (Array.isArray(x)) x.forEach((v, i) => { out.push([...at, i]); paths(v, [...at, i], out, depth + 1); });
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) { out.push([...at, k]); paths(v, [...at, k], out, depth + 1); }
}

/** A mutated deep copy of a JSON value: 1–3 edits (replace by junk, scale a number, delete, empty a list). */
export function mutateJson(r: Rng, value: unknown): unknown {
  const root = { v: structuredClone(value) } as Record<string, unknown>;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const all: Path[] = []; paths(root.v, ['v'], all, 0); all.push(['v']);
    const p = pick(r, all), key = p[p.length - 1];
    let parent: unknown = root;
    for (const k of p.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[k];
    const obj = parent as Record<string | number, unknown>, cur = obj[key];
    const op = r.int(6);
    if (op === 0 && typeof cur === 'number') obj[key] = pick(r, [cur * 1e9, -cur, cur + 0.5, -1, 0, 2 ** 31, cur * 1000 + 7]);
    else if (op === 1 && !Array.isArray(obj) && p.length > 1) delete obj[key];
    else if (op === 2 && Array.isArray(cur)) obj[key] = r.uniform() < 0.5 ? [] : cur.slice(0, r.int(cur.length + 1));
    else if (op === 3 && typeof cur === 'string') obj[key] = pick(r, [cur + 'x', '', cur.slice(0, -1), String(r.int(1e6)), '@@@=']);
    else obj[key] = structuredClone(pick(r, JUNK));   // (a copy: a shared junk list could come to contain itself)
  }
  return root.v;
}

/** JSON text with 1–3 character-level edits (usually no longer JSON). */
export function mutateText(r: Rng, text: string): string {
  let s = text;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const p = r.int(Math.max(1, s.length)), op = r.int(4);
    if (op === 0) s = s.slice(0, p);
    else if (op === 1) s = s.slice(0, p) + s.slice(p + 1 + r.int(8));
    else s = s.slice(0, p) + pick(r, ['{', '}', '[', ']', '"', ',', ':', '-', '9', 'null', '1e999', '\\u0000']) + s.slice(p);
  }
  return s;
}

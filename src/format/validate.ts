// The shared checkers every loader and importer uses on hostile input: JSON parsed behind a wrapper,
// field types checked before use, sizes and counts checked against limits (and against the bytes
// present) before anything is allocated, base64 decoded behind a wrapper, and the resource limits
// (per tensor, in total, per graph) with defaults that fit a 128 MB Worker. Every failure is an
// AxonError naming the file and the field, so no raw TypeError/RangeError/SyntaxError escapes.
import { AxonError, AxonErrorCode } from '../errors.js';

/** Resource limits enforced before allocation (bytes of one tensor, of all weights, graph nodes). */
export interface Limits {
  /** largest single tensor, weights or one sample's activation, in bytes (default 32 MiB) */
  maxTensorBytes: number;
  /** all weights of one model together, in bytes (default 64 MiB) */
  maxTotalBytes: number;
  /** nodes (ONNX, TF.js graph) or layers (layers models, model files) of one model (default 20,000) */
  maxNodes: number;
}
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({ maxTensorBytes: 32 * 2 ** 20, maxTotalBytes: 64 * 2 ** 20, maxNodes: 20_000 });

/** The limits in force: the defaults with the caller's overrides (each a positive number). */
export function resolveLimits(o: Partial<Limits> | undefined, who: string): Limits {
  const l = { ...DEFAULT_LIMITS, ...o };
  for (const k of Object.keys(DEFAULT_LIMITS) as Array<keyof Limits>) {
    if (!(typeof l[k] === 'number' && l[k] > 0)) throw new AxonError('BAD_ARGUMENT', `${who}: limits.${k} must be a positive number, got ${JSON.stringify(l[k])}`);
  }
  return l;
}

const plain = (x: unknown): string => { try { return (JSON.stringify(x) ?? String(x)).slice(0, 60); } catch { return String(x).slice(0, 60); } };
const kind = (x: unknown): string => (x === null ? 'null' : Array.isArray(x) ? 'a list' : typeof x === 'object' ? 'an object' : typeof x === 'string' ? plain(x) : `${typeof x} ${plain(x)}`);

/**
 * Type and range checks for one file's fields. Each method returns the value with its checked type
 * or throws AxonError(code, `${file}: ${where} ...`).
 */
export class Fields {
  constructor(readonly file: string, readonly code: AxonErrorCode = 'BAD_MODEL_FILE') {}
  fail(where: string, msg: string, code: AxonErrorCode = this.code): never { throw new AxonError(code, `${this.file}: ${where} ${msg}`); }
  object(x: unknown, where: string): Record<string, unknown> {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) this.fail(where, `must be an object, got ${kind(x)}`);
    return x as Record<string, unknown>;
  }
  array(x: unknown, where: string, max = Infinity): unknown[] {
    if (!Array.isArray(x)) this.fail(where, `must be a list, got ${kind(x)}`);
    if ((x as unknown[]).length > max) this.fail(where, `has ${(x as unknown[]).length} entries, more than the limit of ${max}`);
    return x as unknown[];
  }
  string(x: unknown, where: string): string {
    if (typeof x !== 'string') this.fail(where, `must be a string, got ${kind(x)}`);
    return x as string;
  }
  number(x: unknown, where: string): number {
    if (typeof x !== 'number' || !Number.isFinite(x)) this.fail(where, `must be a finite number, got ${kind(x)}`);
    return x as number;
  }
  boolean(x: unknown, where: string): boolean {
    if (typeof x !== 'boolean') this.fail(where, `must be true or false, got ${kind(x)}`);
    return x as boolean;
  }
  int(x: unknown, where: string, min = -(2 ** 31), max = 2 ** 31 - 1): number {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) this.fail(where, `must be an integer in [${min}, ${max}], got ${kind(x)}`);
    return x as number;
  }
  /** A list of strings. */
  strings(x: unknown, where: string): string[] { return this.array(x, where).map((v, i) => this.string(v, `${where}[${i}]`)); }
  /** A shape: at most 8 non-negative integers (`min` 1 for sizes that must be positive; -1 allowed with `open`). */
  dims(x: unknown, where: string, o: { min?: number; open?: boolean } = {}): number[] {
    const a = this.array(x, where, 8);
    return a.map((d, i) => (o.open && d === -1 ? -1 : this.int(d, `${where}[${i}]`, o.min ?? 0, 2 ** 31 - 1)));
  }
  optional<T>(x: unknown, check: (v: unknown) => T): T | undefined { return x === undefined ? undefined : check(x); }
}

/** JSON.parse behind a wrapper: a SyntaxError becomes AxonError('BAD_MODEL_FILE'). */
export function parseJson(text: unknown, file: string, what = 'the file'): unknown {
  if (typeof text !== 'string') throw new AxonError('BAD_ARGUMENT', `${file}: expected ${what} as JSON text, got ${kind(text)}`);
  try { return JSON.parse(text); } catch (e) {
    throw new AxonError('BAD_MODEL_FILE', `${file}: ${what} is not valid JSON (${(e as Error).message}); the file is truncated or corrupt`);
  }
}

/** Element count of a shape; Infinity when it passes 2^53 (never overflows into a wrong small number). */
export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) { if (d === 0) return 0; n *= d; }
  return Number.isSafeInteger(n) ? n : Infinity;
}

/** Throws AxonError('OUT_OF_MEMORY') unless `count` elements of `bytesPer` bytes fit limits.maxTensorBytes. */
export function checkTensorSize(limits: Limits, count: number, bytesPer: number, who: string): void {
  const bytes = count * bytesPer;
  if (!(bytes <= limits.maxTensorBytes)) {
    throw new AxonError('OUT_OF_MEMORY', `${who}: ${Number.isFinite(bytes) ? `${bytes} bytes` : 'an astronomical size'} exceed the limit of ${limits.maxTensorBytes} bytes per tensor; if the model is genuine, raise limits.maxTensorBytes`);
  }
}

/** Running total of a model's weight bytes against limits.maxTotalBytes. */
export class Budget {
  private used = 0;
  constructor(readonly limits: Limits, readonly file: string) {}
  take(count: number, bytesPer: number, what: string): void {
    checkTensorSize(this.limits, count, bytesPer, `${this.file}: ${what}`);
    this.used += count * bytesPer;
    if (this.used > this.limits.maxTotalBytes) throw new AxonError('OUT_OF_MEMORY', `${this.file}: the weights pass ${this.limits.maxTotalBytes} bytes at ${what}, the limit for one model; if the model is genuine, raise limits.maxTotalBytes`);
  }
}

/** Throws AxonError('OUT_OF_MEMORY') when a graph has more nodes than limits.maxNodes. */
export function checkNodeCount(limits: Limits, n: number, file: string, what = 'nodes'): void {
  if (n > limits.maxNodes) throw new AxonError('OUT_OF_MEMORY', `${file}: ${n} ${what} exceed the limit of ${limits.maxNodes}; if the model is genuine, raise limits.maxNodes`);
}

/**
 * A built model's per-sample activations against the limits: every layer's output (one sample,
 * f32) must fit maxTensorBytes, so a huge Pad or Dense fails here, not when a plan is allocated.
 */
export function checkActivations(model: { inputShape: number[]; layers: ReadonlyArray<{ name: string; outputShape: number[] }> }, limits: Limits, file: string): void {
  checkNodeCount(limits, model.layers.length, file, 'layers');
  checkTensorSize(limits, numel(model.inputShape), 4, `${file}: the input [${model.inputShape}]`);
  for (const l of model.layers) checkTensorSize(limits, numel(l.outputShape), 4, `${file}: layer "${l.name}" outputs [${l.outputShape}] per sample, so`);
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Standard base64 → bytes; anything else is AxonError('BAD_MODEL_FILE'). */
export function decodeBase64(s: unknown, where: string): Uint8Array {
  if (typeof s !== 'string' || s.length % 4 === 1 || !B64.test(s)) throw new AxonError('BAD_MODEL_FILE', `${where}: ${plain(s)} is not base64 text`);
  let bin: string;
  try { bin = atob(s); } catch { throw new AxonError('BAD_MODEL_FILE', `${where}: ${plain(s)} is not base64 text`); }
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** m[k] when k is m's own key: a name from a file ("constructor", "__proto__") never finds Object.prototype's members. */
export const own = <T>(m: Record<string, T>, k: unknown): T | undefined => (typeof k === 'string' && Object.prototype.hasOwnProperty.call(m, k) ? m[k] : undefined);

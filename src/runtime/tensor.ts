// A small host-side tensor: shape, dtype and a typed array, with checks on construction.
import { AxonError } from '../errors.js';

export type TensorDtype = 'f32' | 'i32' | 'u8' | 'i8';
type Data = Float32Array | Int32Array | Uint8Array | Int8Array;
const CTORS = { f32: Float32Array, i32: Int32Array, u8: Uint8Array, i8: Int8Array } as const;

export class Tensor {
  readonly size: number;
  constructor(readonly data: Data, readonly shape: readonly number[], readonly dtype: TensorDtype = dtypeOf(data)) {
    checkShape(shape);
    this.size = shape.reduce((a, b) => a * b, 1);
    if (this.size !== data.length) throw new AxonError('BAD_SHAPE', `tensor shape [${shape}] holds ${this.size} elements but the data has ${data.length}`);
  }
  static zeros(shape: readonly number[], dtype: TensorDtype = 'f32'): Tensor {
    checkShape(shape);
    return new Tensor(new CTORS[dtype](shape.reduce((a, b) => a * b, 1)), shape, dtype);
  }
  static from(values: ArrayLike<number>, shape: readonly number[], dtype: TensorDtype = 'f32'): Tensor {
    return new Tensor(CTORS[dtype].from(values), shape, dtype);
  }
  get rank(): number { return this.shape.length; }
  /** Same data, new shape (one dimension may be -1). */
  reshape(shape: readonly number[]): Tensor {
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const s = shape.map((d) => (d === -1 ? this.size / known : d));
    return new Tensor(this.data, s, this.dtype);
  }
  /** Rows [start, end) along the first axis (a view, no copy). */
  slice(start: number, end: number): Tensor {
    const row = this.shape.slice(1).reduce((a, b) => a * b, 1);
    return new Tensor(this.data.subarray(start * row, end * row), [end - start, ...this.shape.slice(1)], this.dtype);
  }
  toArray(): number[] { return Array.from(this.data); }
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new AxonError('BAD_SHAPE', `tensor shape [${shape}] has a dimension that is not a non-negative integer`);
}

function dtypeOf(d: Data): TensorDtype {
  if (d instanceof Float32Array) return 'f32';
  if (d instanceof Int32Array) return 'i32';
  if (d instanceof Int8Array) return 'i8';
  return 'u8';
}

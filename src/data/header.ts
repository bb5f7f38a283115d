// What the data readers share: the BAD_DATA error naming the file, and the part of a binary array
// header (IDX, .npy) that says how to read the values.
import { AxonError } from '../errors.js';
import type { TensorDtype } from '../runtime/tensor.js';

/** AxonError('BAD_DATA') prefixed with the file (or array) name. */
export function badData(name: string, msg: string): AxonError {
  return new AxonError('BAD_DATA', `${name}: ${msg}`);
}

/** Element type as read, bytes per stored element, shape, and where the data starts. */
export interface ArrayHeader {
  dtype: TensorDtype;
  itemBytes: number;
  shape: number[];
  dataOffset: number;
}

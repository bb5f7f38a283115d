// The error for a file that cannot be read, shared by the Node target's readers and the CLI:
// AxonError('IO') naming the path and what went wrong, with the original error as its cause.
import { AxonError } from '../../src/errors.js';

/** `what`: the kind of file, for the messages ("model file", "dataset file"). */
export function readError(path: string, e: unknown, what = 'file'): AxonError {
  const err = e as NodeJS.ErrnoException;
  const msg = err.code === 'ENOENT' ? 'file not found' : err.code === 'EISDIR' ? `is a directory, not a ${what}` : `cannot read the ${what} (${err.code ?? err.message})`;
  return new AxonError('IO', `${path}: ${msg}`, { cause: e });
}

// The one error type of Axon: a code to branch on and a message that says what was wrong and what to do.

export type AxonErrorCode =
  | 'BAD_SHAPE' | 'BAD_ARGUMENT' | 'BAD_DTYPE' | 'OUT_OF_BOUNDS' | 'OUT_OF_MEMORY' | 'PLAN_INVALID'
  | 'NOT_FINITE' | 'UNSUPPORTED' | 'WASM_UNAVAILABLE' | 'SELFTEST_FAILED' | 'BAD_MODEL_FILE' | 'BAD_DATA'
  | 'BAD_CONFIG' | 'IO' | 'BAD_TOKENIZER' | 'NOTHING_TO_TRAIN' | 'NOT_LOADED';

export class AxonError extends Error {
  readonly code: AxonErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: AxonErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AxonError';
    this.code = code;
    this.details = details;
  }
}

/** Throws AxonError(code, message()) unless cond holds. */
export function check(cond: unknown, code: AxonErrorCode, message: () => string): asserts cond {
  if (!cond) throw new AxonError(code, message());
}

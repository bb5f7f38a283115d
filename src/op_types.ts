// The vocabulary of op argument specs, shared by the registry (ops.ts) and its extent helpers (op_args.ts).

export type Dtype = 'f32' | 'i32' | 'u8' | 'i8' | 'x32';
export type Dims = Record<string, number>;
export interface PtrArg { name: string; kind: 'ptr'; dtype: Dtype; len: (d: Dims) => number }
export interface NumArg { name: string; kind: 'i32' | 'f32' }
export type ArgSpec = PtrArg | NumArg;

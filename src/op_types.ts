// The vocabulary of op argument specs, shared by the registry (ops.ts) and its extent helpers (op_args.ts).

export type Dtype = 'f32' | 'i32' | 'u8' | 'i8' | 'x32';
export type Dims = Record<string, number>;
/** A pointer argument as the registry writes it: its extent in elements, an expression of src/op_rules.ts. */
export interface PtrDef { name: string; kind: 'ptr'; dtype: Dtype; extent: string }
/** A pointer argument with its extent compiled: `len(d)` elements for dimensions d. */
export interface PtrArg extends PtrDef {
  len: (d: Dims) => number;
  /** the extent calls a scratch-size function: checkers evaluate it after the plain extents */
  late?: boolean;
}
export interface NumArg { name: string; kind: 'i32' | 'f32' }
export type ArgDef = PtrDef | NumArg;
export type ArgSpec = PtrArg | NumArg;

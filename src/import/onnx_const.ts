// Constants of the ONNX importer's folding (onnx_graph.ts evaluates them, onnx_fold.ts folds mask and shape arithmetic on them).
export interface Const {
  dims: number[]; data: Float32Array | Float64Array; float: boolean; /** the ONNX data type when known (QuantizeLinear's saturation range) */ dtype?: number;
  /** rows 0 … count-1 of the 2-D initializer `table` (a position-embedding lookup by the positions of an open sequence) */
  rows?: { table: string; count: number };
}
/** Stands for the (unknown) batch size inside folded shape arithmetic. */
export const BATCH = -(2 ** 40);

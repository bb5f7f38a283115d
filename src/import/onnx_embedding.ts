// Embedding tables in ONNX graphs: Gather(table, ids) with a constant 2-D table and int ids read from
// an int32 / int64 graph input becomes an Axon Embedding (the model range-checks the ids against the
// vocabulary before a plan runs). A learned position embedding, as BERT writes it (Gather(table,
// position_ids[:, :T]) added to the token embeddings, or table[:T]), is a lookup of rows 0 … T-1 on constants: the
// fold tags such a constant (`rows`), and its Add to a (T, D) activation becomes a PositionEmbedding
// over the whole table, so T may be any length up to the table's (the model's maximum length).
import { Embedding } from '../layers/embedding.js';
import { PositionEmbedding } from '../layers/sequence.js';
import type { OnnxNode } from './onnx_proto.js';
import { Attrs, Const } from './onnx_graph.js';
import { isIdentity } from './onnx_layout.js';
import { Converter, unsupported } from './onnx_convert.js';

/** Gather(table, ids): the current activation is the int ids (a graph input). */
export function embeddingGather(cv: Converter, n: OnnxNode): void {
  const table = cv.c(n, 0, 'table'), ax = new Attrs(n).int('axis', 0);
  if (table.dims.length !== 2 || !table.float) unsupported(`looks ids up in a table of shape [${table.dims}]; only 2-D float tables (an embedding) are supported`);
  if (ax !== 0 && ax !== -2) unsupported(`gathers along axis ${ax} of the table; an embedding looks up rows (axis 0)`);
  if (cv.cur >= 0) unsupported('its ids must be an int graph input read directly (Axon checks them against the vocabulary)');
  const [V, D] = table.dims, ids = cv.act.onnx;
  cv.emit(new Embedding({ inputDim: V, outputDim: D }), { weight: Float32Array.from(table.data) }, n, { weight: n.input[0] });
  cv.act = { onnx: [...ids, D], axon: [...ids, D], order: null };
}

/** A folded Gather of a 2-D float table at positions 0 … k-1 ((k) or (1, k)), or Slice of its rows from 0, keeps where its rows came from. */
export function tagRows(n: OnnxNode, v: Const, consts: Map<string, Const>): Const {
  const table = consts.get(n.input[0]);
  if (!table || table.dims.length !== 2 || !table.float) return v;
  if (n.op_type === 'Slice') {
    const st = consts.get(n.input[1]), ax = n.input[3] ? consts.get(n.input[3]) : undefined, sp = n.input[4] ? consts.get(n.input[4]) : undefined;
    const rowsOnly = st?.data.length === 1 && st.data[0] === 0 && (!ax || ax.data[0] === 0 || ax.data[0] === -2) && (!sp || sp.data[0] === 1);
    return rowsOnly && v.dims.length === 2 && v.dims[1] === table.dims[1] ? { ...v, rows: { table: n.input[0], count: v.dims[0] } } : v;
  }
  if (n.op_type !== 'Gather' || new Attrs(n).int('axis', 0) !== 0) return v;
  const idx = consts.get(n.input[1]);
  if (!idx || idx.float) return v;
  const k = idx.data.length;
  if (!(idx.dims.length === 1 || (idx.dims.length === 2 && idx.dims[0] === 1)) || !idx.data.every((x, i) => x === i)) return v;
  return { ...v, rows: { table: n.input[0], count: k } };
}

/** x (T, D) + the first T rows of a position table: a PositionEmbedding (returns false for any other Add). */
export function positionAdd(cv: Converter, n: OnnxNode): boolean {
  const ci = n.input.findIndex((i) => cv.isConst(i)), c = ci >= 0 ? cv.consts.get(n.input[ci]) : undefined;
  if (!c?.rows) return false;
  const table = cv.consts.get(c.rows.table)!, [L, D] = table.dims, x = cv.act;
  if (x.onnx.length !== 2 || x.onnx[0] !== c.rows.count || x.onnx[1] !== D || !isIdentity(x.order) || x.axon.join() !== x.onnx.join()) return false;
  cv.emit(new PositionEmbedding({ maxLength: L }), { weight: Float32Array.from(table.data) }, n, { weight: c.rows.table });
  return true;
}

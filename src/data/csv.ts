// CSV reader for numeric tables (RFC 4180 quoting, CRLF or LF, blank lines skipped). Features become
// an f32 [rows, cols] tensor; an optional label column becomes i32 (integers or class names, mapped
// to sorted class indices) or f32 (other numbers). Every bad cell is reported with line and column.
import { badData as bad } from './header.js';
import { Tensor } from '../runtime/tensor.js';

export interface CsvOptions {
  /** First row holds column names. Default 'auto': yes when none of its cells is a number. */
  header?: boolean | 'auto';
  /** Column holding the label: index (negative counts from the end) or header name. */
  labelColumn?: number | string;
  /** Cell separator, default ','. */
  delimiter?: string;
}

export interface CsvData {
  x: Tensor;
  y?: Tensor;
  /** Names of the feature columns (from the header, else "c0", "c1", ...). */
  columns: string[];
  /** Class names when the label column holds text; y holds indices into this list. */
  classes?: string[];
}

interface Row { line: number; cells: string[] }

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;


/** Splits text into rows of raw cells, remembering the line each row starts on. */
function tokenize(text: string, name: string, delim: string): Row[] {
  const rows: Row[] = [];
  let cells: string[] = [], cell = '', quoted = false, line = 1, rowLine = 1, i = 0, wasQuoted = false;
  const endRow = () => {
    cells.push(cell);
    if (cells.length > 1 || cells[0].trim() !== '' || wasQuoted) rows.push({ line: rowLine, cells });
    cells = []; cell = ''; wasQuoted = false;
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { cell += '"'; i++; } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell.trim() === '') { quoted = true; wasQuoted = true; cell = ''; }
    else if (c === delim) { cells.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      rowLine = ++line;
    } else cell += c;
  }
  if (quoted) throw bad(name, `line ${rowLine}: a quoted cell is never closed; add the closing "`);
  if (cell !== '' || cells.length > 0) endRow();
  return rows;
}

function isNumber(s: string): boolean { return NUMBER.test(s.trim()); }

/** Parses CSV text into features (and labels); `name` (e.g. the file name) prefixes every error. */
export function parseCsv(text: string, name: string, opts: CsvOptions = {}): CsvData {
  const rows = tokenize(text, name, opts.delimiter ?? ',');
  if (rows.length === 0) throw bad(name, 'the file has no rows');
  const first = rows[0].cells;
  const header = opts.header === undefined || opts.header === 'auto' ? first.every((c) => !isNumber(c)) : opts.header;
  const names = header ? first.map((c) => c.trim()) : first.map((_, j) => `c${j}`);
  const data = header ? rows.slice(1) : rows;
  if (data.length === 0) throw bad(name, 'the file has a header but no data rows');
  const ncol = first.length;
  let label = -1;
  if (typeof opts.labelColumn === 'string') {
    if (!header) throw bad(name, `labelColumn "${opts.labelColumn}" is a name but the file has no header row; pass a column index`);
    label = names.indexOf(opts.labelColumn);
    if (label < 0) throw bad(name, `no column named "${opts.labelColumn}" (columns: ${names.join(', ')})`);
  } else if (opts.labelColumn !== undefined) {
    label = opts.labelColumn < 0 ? ncol + opts.labelColumn : opts.labelColumn;
    if (!Number.isInteger(label) || label < 0 || label >= ncol) throw bad(name, `labelColumn ${opts.labelColumn} is outside the ${ncol} columns`);
  }
  const nfeat = label >= 0 ? ncol - 1 : ncol;
  const x = new Float32Array(data.length * nfeat);
  const labels: string[] = [];
  data.forEach((row, r) => {
    if (row.cells.length !== ncol) {
      throw bad(name, `line ${row.line} has ${row.cells.length} cells but ${header ? 'the header' : 'the first row'} has ${ncol}; every row needs the same number of cells`);
    }
    let k = r * nfeat;
    row.cells.forEach((cell, j) => {
      if (j === label) { labels.push(cell.trim()); return; }
      const s = cell.trim();
      if (!isNumber(s)) {
        const what = s === '' ? 'is empty (fill or drop missing values)' : `holds ${JSON.stringify(s.slice(0, 40))}, which is not a number`;
        throw bad(name, `line ${row.line}, column ${j + 1}${header ? ` ("${names[j]}")` : ''} ${what}`);
      }
      x[k++] = Number(s);
    });
  });
  const out: CsvData = { x: new Tensor(x, [data.length, nfeat], 'f32'), columns: names.filter((_, j) => j !== label) };
  if (label >= 0) Object.assign(out, labelTensor(labels, data, label, name));
  return out;
}

function labelTensor(labels: string[], data: Row[], col: number, name: string): { y: Tensor; classes?: string[] } {
  const empty = labels.findIndex((s) => s === '');
  if (empty >= 0) throw bad(name, `line ${data[empty].line}, column ${col + 1} (the label) is empty; fill or drop that row`);
  if (labels.every(isNumber)) {
    const v = labels.map(Number);
    const ints = v.every((n) => Number.isInteger(n) && Math.abs(n) < 2 ** 31);
    return { y: ints ? Tensor.from(v, [v.length], 'i32') : Tensor.from(v, [v.length], 'f32') };
  }
  const classes = [...new Set(labels)].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return { y: Tensor.from(labels.map((s) => index.get(s)!), [labels.length], 'i32'), classes };
}

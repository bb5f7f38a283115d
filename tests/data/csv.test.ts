// CSV reader: headers, label columns (numbers and class names), quoting, line endings, and every
// bad cell reported with file, line and column.
import { describe, it, expect } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { expectBad } from './expect-bad.js';

describe('parseCsv', () => {
  it('header auto-detected, label by name → i32 labels', () => {
    const d = parseCsv('a,b,label\n1,2.5,0\n-3,4e2,1\n', 'iris.csv', { labelColumn: 'label' });
    expect([d.x.shape, d.x.toArray(), d.columns]).toEqual([[2, 2], [1, 2.5, -3, 400], ['a', 'b']]);
    expect([d.y!.dtype, d.y!.toArray(), d.classes]).toEqual(['i32', [0, 1], undefined]);
  });
  it('no header, negative label index, float labels → f32', () => {
    const d = parseCsv('1,2,0.5\n3,4,1.25', 'r.csv', { labelColumn: -1 });
    expect([d.x.toArray(), d.columns, d.y!.dtype, d.y!.toArray()]).toEqual([[1, 2, 3, 4], ['c0', 'c1'], 'f32', [0.5, 1.25]]);
  });
  it('text labels become sorted class indices', () => {
    const d = parseCsv('x,species\n1,versicolor\n2,setosa\n3,versicolor\n', 'iris.csv', { labelColumn: 1 });
    expect([d.classes, d.y!.toArray()]).toEqual([['setosa', 'versicolor'], [1, 0, 1]]);
  });
  it('quotes, CRLF, BOM, blank lines, spaces, tabs', () => {
    const d = parseCsv('\ufeff"x, one";"y ""2"""\r\n\r\n" 1 ";2\r\n3 ; .5\r\n\r\n', 't.csv', { delimiter: ';' });
    expect([d.columns, d.x.toArray()]).toEqual([['x, one', 'y "2"'], [1, 2, 3, 0.5]]);
    expect(parseCsv('1\t2\n3\t4', 't.tsv', { delimiter: '\t' }).x.toArray()).toEqual([1, 2, 3, 4]);
  });
  it('header: false keeps a numeric-looking first row; header: true forces one', () => {
    expect(parseCsv('1,2\n3,4', 'a.csv', { header: false }).x.shape).toEqual([2, 2]);
    expect(parseCsv('1,2\n3,4', 'a.csv', { header: true }).columns).toEqual(['1', '2']);
  });
  it('a quoted cell spanning lines keeps later line numbers right', () => {
    expectBad(() => parseCsv('a,b\n"multi\nline",1\n2,x\n', 'm.csv', { labelColumn: 0 }), 'BAD_DATA', /^m\.csv: line 4, column 2 \("b"\) holds "x"/);
  });

  it.each([
    ['ragged row', 'a,b,c\n1,2,3\n4,5\n', {}, /^d\.csv: line 3 has 2 cells but the header has 3/],
    ['ragged row, no header', '1,2\n3,4,5\n', {}, /^d\.csv: line 2 has 3 cells but the first row has 2/],
    ['non-numeric cell', 'a,b\n1,2\n3,abc\n', {}, /^d\.csv: line 3, column 2 \("b"\) holds "abc", which is not a number/],
    ['empty cell', '1,2\n,4\n', {}, /^d\.csv: line 2, column 1 is empty/],
    ['hex is not a number', '1,2\n0x10,4\n', {}, /line 2, column 1 holds "0x10"/],
    ['empty label', 'a,y\n1,\n', { labelColumn: 'y' }, /line 2, column 2 \(the label\) is empty/],
    ['unknown label name', 'a,b\n1,2\n', { labelColumn: 'y' }, /no column named "y" \(columns: a, b\)/],
    ['label name without header', '1,2\n', { labelColumn: 'y' }, /no header row/],
    ['label index out of range', '1,2\n', { labelColumn: 5 }, /labelColumn 5 is outside the 2 columns/],
    ['unclosed quote', 'a,b\n"1,2\n', {}, /line 2: a quoted cell is never closed/],
    ['empty file', '\n\n', {}, /^d\.csv: the file has no rows/],
    ['header only', 'a,b\n', {}, /header but no data rows/],
  ])('%s → typed error naming the file', (_, text, opts, msg) => expectBad(() => parseCsv(text, 'd.csv', opts), 'BAD_DATA', msg));
});

// `axon run <model.axon> --text "..." | --text-file lines.txt`: a model trained on text (its
// tokenizer is in the model file) classifies sentences. A line of the file may be
// "label<TAB>text": then the expected labels are compared and the accuracy reported.
// Answers JSON { shape, predictions, classes, labels } (as `axon run` on arrays, plus class names).
import { readFile } from 'node:fs/promises';
import { AxonError } from '../../../src/errors.js';
import { modelFromBytes } from '../../../src/model/serialize.js';
import { TextModel } from '../../../src/text/model.js';
import { loadEngine } from '../index.js';
import { readModelFile } from '../model_file.js';
import { writeFileAtomic } from '../fs.js';
import type { RunFlags, RunReport } from './run.js';

export interface TextRunFlags { text?: string[]; textFile?: string }

async function textsOf(f: TextRunFlags): Promise<{ texts: string[]; expected: (string | undefined)[] }> {
  const texts = [...(f.text ?? [])], expected: (string | undefined)[] = texts.map(() => undefined);
  if (f.textFile) {
    let body: string;
    try { body = await readFile(f.textFile, 'utf8'); } catch { throw new AxonError('IO', `${f.textFile}: cannot read the text file`); }
    for (const line of body.split(/\r?\n/)) {
      if (!line.trim() || line.startsWith('#')) continue;
      const tab = line.indexOf('\t');
      texts.push(tab > 0 ? line.slice(tab + 1) : line);
      expected.push(tab > 0 ? line.slice(0, tab).trim() : undefined);
    }
    if (texts.length === (f.text?.length ?? 0)) throw new AxonError('BAD_DATA', `${f.textFile}: no lines of text`);
  }
  return { texts, expected };
}

export async function runText(modelPath: string, f: RunFlags & TextRunFlags): Promise<RunReport & { accuracy?: number; labels: string[] }> {
  if (f.input?.length) throw new AxonError('BAD_CONFIG', '--text / --text-file and --input are exclusive: a text model takes sentences, its tokenizer makes the ids');
  if (f.out && !/\.json$/i.test(f.out)) throw new AxonError('BAD_CONFIG', `--out ${f.out}: text runs write .json`);
  const { texts, expected } = await textsOf(f);
  const engine = await loadEngine(f.build || f.threads ? { build: f.build, threads: f.threads } : undefined);
  const { model, graph } = modelFromBytes(readModelFile(modelPath), modelPath, engine);
  const tm = await TextModel.from(model, graph.extra, modelPath);
  const t0 = performance.now();
  const rows = [];
  const step = f.batchSize ?? 256;
  for (let i = 0; i < texts.length; i += step) rows.push(...(await tm.classify(texts.slice(i, i + step))));
  const seconds = (performance.now() - t0) / 1000;
  const labels = rows.map((r) => r.label);
  const judged = expected.flatMap((e, i) => (e === undefined ? [] : [e === labels[i]]));
  const accuracy = judged.length ? judged.filter(Boolean).length / judged.length : undefined;
  const C = rows[0].scores.length;
  const json = JSON.stringify({ shape: [rows.length, C], predictions: rows.map((r) => r.scores), classes: rows.map((r) => r.index), labels, ...(accuracy !== undefined ? { accuracy } : {}) });
  const report = { samples: rows.length, outputShape: [rows.length, C], outputs: [{ name: model.outputNames[0], shape: [rows.length, C] }], seconds, labels, accuracy };
  if (f.out) { writeFileAtomic(f.out, new TextEncoder().encode(json)); return { ...report, out: f.out }; }
  return { ...report, json };
}

// The README's TypeScript example runs as written (against the sources, through the Node target).
import { it, expect } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

/** Runs the first ```ts block after `heading` (imports from 'axon' point at the sources); returns the names it exports. */
async function runBlock(heading: string, names: string[]): Promise<Record<string, any>> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const at = readme.indexOf(heading), code = at < 0 ? undefined : /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  expect(code, `README has a TypeScript example under "${heading}"`).toBeTruthy();
  const entry = pathToFileURL(new URL('../../targets/node/index.ts', import.meta.url).pathname).href;
  const infer = pathToFileURL(new URL('../../targets/node/infer.ts', import.meta.url).pathname).href;
  const dir = mkdtempSync(join(tmpdir(), 'axon-readme-'));
  try {
    const file = join(dir, 'example.ts');
    writeFileSync(file, code!.replace(/^ {2}/gm, '').replace(/from 'axon'/g, `from '${entry}'`).replace(/from 'axon\/infer'/g, `from '${infer}'`) + `\nexport const result = { ${names.join(', ')} };\n`);
    return (await import(/* @vite-ignore */ pathToFileURL(file).href)).result;
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

it('the README API example runs', async () => {
  const result = await runBlock('## Use it from TypeScript', ['history', 'accuracy', 'probabilities', 'bytes', 'again']);
  expect(result.history.epochs.length).toBeGreaterThan(0);
  expect(result.probabilities.shape).toEqual([1000, 10]);
  expect(result.again.layers.length).toBe(3);
  expect(result.bytes.length).toBeGreaterThan(1000);
});

it('the README graph-model example runs', async () => {
  const result = await runBlock('### Graph models', ['net', 'graphHistory']);
  expect(result.graphHistory.epochs.length).toBe(1);
  expect(result.net.inputsOf('both')).toEqual(['pool', 'avg']);
  expect(result.net.outputShape).toEqual([10]);
});

it('the README several-inputs example runs', async () => {
  const result = await runBlock('### Several inputs and outputs', ['tagger', 'taggerHistory', 'answer']);
  expect(result.taggerHistory.epochs.length).toBe(2);
  expect(result.answer.intent.shape).toEqual([4, 3]);
  expect(result.answer['rnn:1'].shape).toEqual([4, 16]);
  expect(result.tagger.inputs[0]).toMatchObject({ name: 'ids', dtype: 'i32', shape: [null], range: [0, 99] });
});

it('the README Node cold-start example runs', async () => {
  const result = await runBlock('* **Node cold start**', ['scores']);
  expect(result.scores.shape).toEqual([1, 10]);
  expect(Array.from(result.scores.data as Float32Array).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
});

it('the README text example runs: tokenizer.json, a Transformer on the intents, a model file that carries its tokenizer', async () => {
  const result = await runBlock('### Text: tokenizers and a text application', ['textHistory', 'answer', 'ids', 'assistant']);
  expect(result.ids.shape).toEqual([3300, 19]);
  expect(result.textHistory.epochs.length).toBe(3);
  expect(result.textHistory.epochs[2].accuracy).toBeGreaterThan(0.9);
  expect(result.answer.label).toBe('lights_off');
  expect(result.assistant.spec.labels).toHaveLength(10);
});

it('the README seq2seq example runs: it learns to reverse, decoding with the cross-attention cache', async () => {
  const result = await runBlock('**Seq2seq decoding with a cross-attention cache.**', ['seq2seqHistory', 'reversed', 'decoder']);
  expect(result.seq2seqHistory.epochs.at(-1).loss).toBeLessThan(result.seq2seqHistory.epochs[0].loss / 10);
  expect(result.reversed).toEqual([5, 1, 4, 1, 3, 0]);
  expect(Object.keys(result.decoder)).toEqual(['encode', 'step']);
});

it('the README audio example runs', async () => {
  const result = await runBlock('### Audio: keyword spotting', ['scores', 'detections']);
  expect(result.scores.shape).toEqual([1, 12]);
  expect(result.detections.map((d: { end: number }) => d.end)).toEqual([16000, 19840]);
});

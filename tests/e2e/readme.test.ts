// The README's TypeScript example runs as written (against the sources, through the Node target).
import { it, expect } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

it('the README API example runs', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const code = /## Use it from TypeScript\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code, 'README has a TypeScript example').toBeTruthy();
  const entry = pathToFileURL(new URL('../../targets/node/index.ts', import.meta.url).pathname).href;
  const dir = mkdtempSync(join(tmpdir(), 'axon-readme-'));
  try {
    const file = join(dir, 'example.ts');
    writeFileSync(file, code!.replace(/from 'axon'/g, `from '${entry}'`) + '\nexport const result = { history, accuracy, probabilities, bytes, again };\n');
    const { result } = await import(/* @vite-ignore */ pathToFileURL(file).href);
    expect(result.history.epochs.length).toBeGreaterThan(0);
    expect(result.probabilities.shape).toEqual([1000, 10]);
    expect(result.again.layers.length).toBe(3);
    expect(result.bytes.length).toBeGreaterThan(1000);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

it('the README graph-model example runs', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const code = /### Graph models[^\n]*\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code, 'README has a graph-model example').toBeTruthy();
  const entry = pathToFileURL(new URL('../../targets/node/index.ts', import.meta.url).pathname).href;
  const dir = mkdtempSync(join(tmpdir(), 'axon-readme-'));
  try {
    const file = join(dir, 'graph.ts');
    writeFileSync(file, code!.replace(/from 'axon'/g, `from '${entry}'`) + '\nexport const result = { net, graphHistory };\n');
    const { result } = await import(/* @vite-ignore */ pathToFileURL(file).href);
    expect(result.graphHistory.epochs.length).toBe(1);
    expect(result.net.inputsOf('both')).toEqual(['pool', 'avg']);
    expect(result.net.outputShape).toEqual([10]);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

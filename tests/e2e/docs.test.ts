// The docs a user reads first: the README's layer list names every layer type a model file can hold
// (allLayerTypes: the classic registry and the on-demand families), and the API reference (TypeDoc, `npm run docs` → docs/api/) builds from the types
// without a warning (every type the public API mentions is documented or listed as internal).
import { it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import { allLayerTypes } from '../../src/layers/registry.js';

const root = resolve(__dirname, '../..');

it('the README lists every layer type', () => {
  const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
  const list = readme.slice(readme.indexOf('* **Layers**'), readme.indexOf('* **Losses**'));
  const missing = allLayerTypes().filter((t) => !list.includes(`\`${t}\``));
  expect(missing).toEqual([]);
});

it('npm run docs: TypeDoc builds the API reference without warnings', async () => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [resolve(root, 'node_modules/typedoc/bin/typedoc'), '--emit', 'none', '--treatWarningsAsErrors'], { cwd: root });
  expect(`${stdout}${stderr}`).not.toMatch(/warning|error/i);
}, 300_000);

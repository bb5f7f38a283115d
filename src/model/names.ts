// Layer names: what a name may hold, the names importers give (after the source's node or layer),
// and lookup by a name users know (exact, or as an importer spells it) with near matches when it
// is unknown. Rules for imported names:
//   * sanitized: characters other than letters, digits, '_', '-' and '/' become '_' (a '.' would
//     split the parameter key `${layer}.${param}`; ':' is TF's output index); '/' is kept as the
//     scope separator (`model/conv1/Conv2D`), without leading, trailing or doubled slashes, and
//     without the scopes TF adds for function calls (`StatefulPartitionedCall`, `PartitionedCall`:
//     a converted Keras SavedModel nests every node in several);
//   * several layers from one source node: the one with parameters (else the last) takes the name,
//     the others (layout adapters such as a Flatten before a Gemm) `${name}/${type}`, as
//     Layer.expand() names a fused activation `${name}/${activation}`;
//   * unique: a taken name (or one whose expanded units' names are taken) gets `_2`, `_3`, …;
//   * no source name: the generated `${type}_${k}`.
import { AxonError } from '../errors.js';
import type { Layer } from '../layers/layer.js';

/** The name that stands for the model input in `inputs` (re-exported by model.ts). */
export const MODEL_INPUT = 'input';

/** Why a layer name is not allowed, or undefined when it is. */
export function badLayerName(name: string): string | undefined {
  if (name === MODEL_INPUT) return `"${MODEL_INPUT}" names the model input; choose another layer name`;
  if (name.includes('.')) return `layer name "${name}" contains "."; parameters are keyed "<layer>.<param>", so use "_" or "/" instead`;
  return undefined;
}

/** What a layer reads, as refs: names as given, layers by their names; anything else (an importer's dangling ref) is BAD_CONFIG. */
export function inputRefs(who: string, given: ReadonlyArray<string | Layer>): string[] {
  return given.map((x, k) => {
    if (typeof x === 'string') return x;
    if (typeof x === 'object' && x !== null && typeof x.name === 'string') return x.name;
    throw new AxonError('BAD_CONFIG', `${who}: input ${k} is ${String(x)}; give a model input's name, a layer's name or a layer`);
  });
}

const TF_CALL_SCOPES = /* @__PURE__ */ new Set(['StatefulPartitionedCall', 'PartitionedCall']);

/** A source node or layer name as an Axon layer name (see the rules above); '' when nothing is left. */
export function sanitizeName(source: string): string {
  const s = source.replace(/[^\p{L}\p{N}_/-]+/gu, '_').split('/').filter((p) => p && !TF_CALL_SCOPES.has(p)).join('/');
  return s === MODEL_INPUT ? `${s}_layer` : s;
}

/** The names a layer occupies: its own and those of the units it expands into (`conv/relu`). */
function occupied(layer: Layer, name: string): string[] {
  const old = layer.name;
  layer.name = name;
  const names = layer.expand().map((u) => u.name);
  layer.name = old;
  return [name, ...names.filter((n) => n !== name)];
}

/** Gives `layer` the name `base` (or `base_2`, `base_3`, … when taken) and marks its names used. */
export function uniqueName(layer: Layer, base: string, used: Set<string>): string {
  let name = base;
  for (let k = 2; occupied(layer, name).some((n) => used.has(n)); k++) name = `${base}_${k}`;
  for (const n of occupied(layer, name)) used.add(n);
  return (layer.name = name);
}

/**
 * Names imported layers after their sources, in order. `source`: the node or layer name ('' when
 * it has none); `origin`: the source node itself, when names may repeat (ONNX node names need not be unique).
 */
export function nameImported(items: Array<{ layer: Layer; source: string; origin?: unknown }>): void {
  const main = new Map<unknown, Layer>();
  for (const it of items) {
    const key = it.origin ?? it.source, cur = main.get(key);
    if (!cur || !cur.params.length) main.set(key, it.layer);   // the first with parameters, else the last
  }
  const used = new Set<string>([MODEL_INPUT]), counters = new Map<string, number>();
  for (const { layer, source, origin } of items) {
    const base = sanitizeName(source);
    if (base) { uniqueName(layer, main.get(origin ?? source) === layer ? base : `${base}/${suffix(layer)}`, used); continue; }
    uniqueName(layer, generatedName(layer, counters, (name) => occupied(layer, name).some((n) => used.has(n))), used);
  }
}

/** The next `${type}_${k}` for `layer` that `taken` says is free (`counters`: the last k per type). */
export function generatedName(layer: Layer, counters: Map<string, number>, taken: (name: string) => boolean): string {
  let k = counters.get(layer.type) ?? 0;
  do k++; while (taken(`${layer.type}_${k}`));
  counters.set(layer.type, k);
  return `${layer.type}_${k}`;
}
const suffix = (l: Layer) => (l.type === 'activation' ? String((l as Layer & { activation: string }).activation) : l.type);

/**
 * The layer called `name` among `names`: the name itself, else the name as an importer spells it
 * (`/layer1/layer1.0/conv1/Conv` → `layer1/layer1_0/conv1/Conv`); -1 when neither is there.
 */
export function findName(names: readonly string[], name: string): number {
  const i = names.indexOf(name);
  return i >= 0 ? i : names.indexOf(sanitizeName(name));
}

/** Up to k names that look like `query` (same spelling up to case, containing it, or a few edits away), best first. */
export function nearNames(names: readonly string[], query: string, k = 5): string[] {
  const q = sanitizeName(query).toLowerCase() || query.toLowerCase(), last = (s: string) => s.slice(s.lastIndexOf('/') + 1);
  const scored = names.map((n) => {
    const l = n.toLowerCase(), d = editDistance(l, q);
    const hit = l.includes(q) || q.includes(l) || last(l) === last(q) || d <= Math.max(2, Math.floor(q.length / 4));
    return { n, d: hit ? (l.startsWith(q) ? -1 : d) : Infinity };
  });
  return scored.filter((s) => s.d < Infinity).sort((a, b) => a.d - b.d).slice(0, k).map((s) => s.n);
}

/** The AxonError for an unknown layer name: near matches, and all names when there are few. */
export function unknownLayer(what: string, query: string, modelName: string, names: readonly string[]): AxonError {
  const near = nearNames(names, query);
  const all = names.length <= 12 ? ` (layers: ${names.map((n, k) => `${k} ${n}`).join(', ')})` : ` (${names.length} layers: see model.summary() or \`axon info\`)`;
  return new AxonError('BAD_ARGUMENT', `no ${what} ${JSON.stringify(query)} in model "${modelName}"${near.length ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(', ')}?` : ''}${all}`, { near });
}

/** Levenshtein distance (typo suggestions). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

// POST /predict {"text": "a sentence" | ["…", …]} for a model trained on text: its tokenizer comes
// from the model file (graph.extra.text), so the Worker encodes exactly as `axon train` did.
// Answers {labels, classes, scores, tokens}; bad texts get AxonError('BAD_ARGUMENT') → 400.
import { AxonError, type TextModel } from '../../index.js';

export const TEXT_LIMITS = { maxTexts: 64, maxChars: 2000 };

/** The body's "text": one string or a list of strings, within TEXT_LIMITS. */
export function textsFromJson(v: unknown): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((t) => typeof t === 'string')) throw new AxonError('BAD_ARGUMENT', '"text" must be a string or a non-empty list of strings, e.g. {"text": "turn on the lights"}');
  if (list.length > TEXT_LIMITS.maxTexts) throw new AxonError('BAD_ARGUMENT', `"text" has ${list.length} texts; at most ${TEXT_LIMITS.maxTexts} per request`);
  return list;
}

export async function classifyTexts(tm: TextModel, texts: string[], run: <T>(fn: () => Promise<T>) => Promise<T>): Promise<Record<string, unknown>> {
  const rows = await run(() => tm.classify(texts, { maxChars: TEXT_LIMITS.maxChars }));
  return { labels: rows.map((r) => r.label), classes: rows.map((r) => r.index), scores: rows.map((r) => r.scores), classNames: tm.spec.labels ?? null };
}

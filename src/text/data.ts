// Labelled text files: "label<TAB>text" per line; blank lines and lines starting with '#' skipped.
import { AxonError } from '../errors.js';

/** "label<TAB>text" lines → labels and texts, row for row. */
export function parseLabelledText(text: string, file = 'text file'): { labels: string[]; texts: string[] } {
  const labels: string[] = [], texts: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const tab = line.indexOf('\t');
    if (tab <= 0 || !line.slice(tab + 1).trim()) throw new AxonError('BAD_DATA', `${file}:${i + 1}: expected "label<TAB>text", got ${JSON.stringify(line.slice(0, 60))}`);
    labels.push(line.slice(0, tab).trim());
    texts.push(line.slice(tab + 1));
  });
  if (!texts.length) throw new AxonError('BAD_DATA', `${file}: no "label<TAB>text" lines`);
  return { labels, texts };
}

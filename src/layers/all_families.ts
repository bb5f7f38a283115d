// Every on-demand layer family (src/layers/families.ts), statically: entries that ship every layer
// (Node, Workers) install these as their loaders, so each family's classes are in their bundle, even
// one their bundler shakes (the Worker template's), and registered as the entry starts.
import * as transformer from './transformer_family.js';
import * as recurrent from './recurrent_family.js';
import * as audio from './audio.js';
import * as augment from './augment.js';
import { setLayerFamilyLoaders } from './families.js';

/** Installs the static loaders (an entry calls it once, at its top level). */
export function useAllLayerFamilies(): void {
  setLayerFamilyLoaders({ transformer: async () => transformer, recurrent: async () => recurrent, audio: async () => audio, augment: async () => augment });
}

// The shapes the TF.js layers importer passes between its layer mappers (tfjs_layers.ts, tfjs_recurrent.ts).
import type { Layer } from '../layers/layer.js';
import type { TfjsWeights } from './tfjs_weights.js';

export type KConfig = Record<string, unknown> & { name?: string };
export interface KLayer { class_name: string; name?: string; config: KConfig; inbound_nodes?: unknown }
/** One Axon layer made for a Keras layer: its weights by Axon param name, and the Keras weight names they came from. */
export interface Mapped { layer: Layer; w: Record<string, Float32Array>; from: Record<string, string>; suffix?: string }
export interface MapContext {
  /** the Keras weight `${layer}/${w}`, or undefined */
  find: (layer: string, w: string) => TfjsWeights | undefined;
  /** throws BAD_MODEL_FILE */
  bad: (msg: string) => never;
  /** rank of the layer's input with the batch axis, when known */
  inRank?: number;
}


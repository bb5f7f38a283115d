// The transformer layer family as one module, so a bundler emits it as one chunk for
// loadLayerFamilies (src/layers/families.ts): each class registers its type as its module loads.
export { Embedding } from './embedding.js';
export { LayerNormalization } from './layernorm.js';
export { MultiHeadAttention } from './attention.js';
export { AttentionMemory } from './attention_memory.js';
export { PositionEmbedding, MaskedMeanPooling } from './sequence.js';
export { QMultiHeadAttentionDynamic } from '../quant/qattention.js';

// The recurrent layer family as one module, so a bundler emits it as one chunk for loadLayerFamilies
// (src/layers/families.ts): each class registers its type as its module loads.
export { SimpleRNN, LSTM, GRU } from './recurrent.js';
export { Bidirectional } from './recurrent_bidirectional.js';

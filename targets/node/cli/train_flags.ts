// The options `axon train` takes (shared by the training commands: train.ts, lm.ts).
export interface TrainFlags { out?: string; epochs?: number; batchSize?: number; seed?: number; build?: 'auto' | 'simd' | 'relaxed'; threads?: number | 'auto'; progress?: boolean }

// The WASI bundle (.axb): everything the standalone program (build/axon.wasi.wasm, no JS on the
// device) needs to run a model's predict plan and fine-tune it with its train plan. Node-free:
// written here from a model's Session, read here (by the Node target's runner) and by
// assembly/wasi/bundle.ts (by the WASI program). Both readers must accept exactly this layout.
//
// Little-endian; every integer is a u32 word; every section starts on a 16-byte boundary.
// Version 2 adds the IO section (several named, typed inputs and outputs, the concrete shape sets
// the plans were compiled for, several losses); version 1 files (one f32 input, one output, one
// shape) are still read: their IO is implied by the header (bundle_io.ts legacyIO).
//
//   HEADER, 96 bytes (24 words); words 6..14 describe input 0 / output 0 / loss 0 at shape set 0
//     0 magic 'AXBN' (0x4e425841)      1 version (2; 1 read)  2 file bytes         3 section count S
//     4 arena bytes (the Layout)       5 batch N              6 input f32 per row  7 output f32 per row
//     8 input offset                   9 output offset       10 loss offset       11 target offset
//    12 target kind (0 none, 1 f32 rows, 2 i32 class ids)    13 target words per sample
//    14 classes (i32 ids must lie in [0, classes))           15 samples n the fine-tuning was compiled for (0: none)
//    16 epochs compiled E             17 steps per epoch ceil(n / B)                 18 shuffle seed
//    19 flags: bit0 shuffle every epoch, bit1 has a train plan, bit2 word 22 is a checksum   20 train batch B = min(N, n)
//    21 the shape set the train plans run at (version 1: 0)   22 checksum: FNV-1a (32-bit) of the whole file with this word read as 0 (when flag bit2)   23 zero
//   SECTION TABLE, S x 16 bytes: kind, start (from file start), bytes, count
//   SECTIONS (kinds):
//     1 IMAGE   count segments: count x (arena offset, bytes), then each segment's bytes padded to 4.
//               The arena is zero except for these (parameters, optimizer state, rng state: every
//               non-transient buffer with a non-zero byte when the bundle was made).
//     2 PARAMS  count params: count x (arena offset, bytes, name start, name length), then UTF-8
//               names (starts relative to the section). out-weights.bin = these, concatenated.
//     3 PLANS   count plans: count x (mode | shape set << 8, batch, start, bytes), mode 0 predict / 2 train, then the plans
//               (assembly/plan.ts format, offsets relative to the arena base), each 16-aligned,
//               start relative to the section. Predict plans for every shape set and batch 1..N (so the last,
//               short chunk runs exactly as Model.predict runs it); train plans for B and for
//               the epoch's last short batch n - (steps-1)B when that differs.
//     4 HP      count = steps T = E x steps-per-epoch. Words: K, W, V, 0; K x (arena offset, words)
//               hyperparameter blocks (W words in all, in this order); W base words (f32 bits, the
//               values that never change); V indices into those W words that change; T x V words,
//               step t's values. Before step t (0-based, over all epochs) the runner writes the base
//               words once and step t's V words: exactly what Optimizer.writeStep writes there.
//     5 META    UTF-8 JSON for people and tools (model name, shapes, loss, optimizer, param names).
//     6 IO      inputs, outputs, shape sets, losses (version 2; layout in bundle_io.ts).
//     7 TRAIN   on-device training (compileBundle device: true; layout in bundle_train.ts): optimizer,
//               schedule, loss weights, normalizer, state regions. Such a bundle has train and eval
//               (mode 1) plans for every batch 1..N; its HP table covers one step (the base words).
//
// Data files the program reads and writes, one per input / output / loss: rows of f32 LE (or i32
// LE for an i32 input), in the shape set's per-sample shape; y.bin is i32 LE class ids (target
// kind 2) or f32 LE rows (kind 1); out-weights.bin is f32 LE.
import type { BundleIO } from './bundle_io.js';

export const BUNDLE_MAGIC = 0x4e425841;
export const BUNDLE_VERSION = 2;
export const HEADER_BYTES = 96;
export const SEC = { IMAGE: 1, PARAMS: 2, PLANS: 3, HP: 4, META: 5, IO: 6, TRAIN: 7 } as const;
export const MODE = { predict: 0, eval: 1, train: 2 } as const;
export const NONE = 0xffffffff;
export const FLAG_SHUFFLE = 1, FLAG_TRAIN = 2, FLAG_CHECKSUM = 4;
/** The largest model arena a bundle may ask for (both readers refuse more; compileBundle too). */
export const MAX_ARENA_BYTES = 512 * 2 ** 20;

/** FNV-1a (32-bit) of the bundle with header word 22 (the checksum itself) read as zero. */
export function bundleChecksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= i >= 88 && i < 92 ? 0 : bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface BundleParam { name: string; offset: number; bytes: number }
export interface BundlePlan { mode: number; batch: number; words: Uint32Array; /** shape set index */ shape: number }
export interface BundleHp { blocks: Array<{ offset: number; words: number }>; base: Uint32Array; varying: Uint32Array; steps: number; values: Uint32Array }
export interface Bundle {
  version: number; arenaBytes: number; batch: number; inFeatures: number; outFeatures: number;
  input: number; output: number; loss: number; target: number; targetKind: 0 | 1 | 2; targetWords: number; classes: number;
  samples: number; epochs: number; stepsPerEpoch: number; seed: number; shuffle: boolean; hasTrain: boolean; trainBatch: number;
  /** inputs, outputs, shape sets, losses (a version-1 bundle's: implied by its header) */
  io: BundleIO; trainShape: number;
  image: Array<{ offset: number; data: Uint8Array }>;
  params: BundleParam[];
  plans: BundlePlan[];
  hp?: BundleHp;
  meta: Record<string, unknown>;
}

// Training callbacks (Keras-style hooks): History, EarlyStopping, ModelCheckpoint.
import { AxonError } from '../errors.js';

export type Logs = Record<string, number>;

export interface TrainContext {
  stopTraining: boolean;
  epochs: number;
  stepsPerEpoch: number;
  /** snapshot / restore of all weights, for restoreBestWeights */
  getWeights(): Map<string, Float32Array>;
  setWeights(w: Map<string, Float32Array>): void;
  /** the model file bytes, for checkpoints */
  toBytes(): Uint8Array;
}

export interface Callback {
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  onBatchEnd?(step: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
  onTrainEnd?(logs: Logs, ctx: TrainContext): void | Promise<void>;
}

/** Per-epoch logs (loss, metrics, val_*) and per-iteration loss/accuracy. */
export class History implements Callback {
  readonly epochs: Logs[] = [];
  readonly iterations: Logs[] = [];
  onBatchEnd(step: number, logs: Logs): void { this.iterations.push({ step, ...logs }); }
  onEpochEnd(epoch: number, logs: Logs): void { this.epochs.push({ epoch, ...logs }); }
  toJSON(): { epochs: Logs[]; iterations: Logs[] } { return { epochs: this.epochs, iterations: this.iterations }; }
}

export interface EarlyStoppingOptions { monitor?: string; patience?: number; minDelta?: number; mode?: 'min' | 'max' | 'auto'; restoreBestWeights?: boolean }

/** Stops when `monitor` has not improved by more than minDelta for `patience` epochs (Keras semantics). */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  best = NaN;
  bestEpoch = -1;
  stoppedEpoch = -1;
  private wait = 0;
  private bestWeights?: Map<string, Float32Array>;
  private readonly sign: number;
  constructor(private readonly o: EarlyStoppingOptions = {}) {
    this.monitor = o.monitor ?? 'val_loss';
    const mode = o.mode ?? 'auto';
    this.sign = mode === 'max' || (mode === 'auto' && /acc|accuracy/.test(this.monitor)) ? -1 : 1;
  }
  onTrainBegin(): void { this.best = NaN; this.wait = 0; this.bestWeights = undefined; this.stoppedEpoch = -1; }
  onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): void {
    const v = logs[this.monitor];
    if (v === undefined) throw new AxonError('BAD_CONFIG', `EarlyStopping monitors "${this.monitor}" but the logs have ${Object.keys(logs).join(', ')}; set validation data or monitor another key`);
    if (Number.isNaN(this.best) || this.sign * (this.best - v) > (this.o.minDelta ?? 0)) {
      this.best = v; this.bestEpoch = epoch; this.wait = 0;
      if (this.o.restoreBestWeights) this.bestWeights = ctx.getWeights();
    } else if (++this.wait >= (this.o.patience ?? 0)) {
      ctx.stopTraining = true;
      this.stoppedEpoch = epoch;
    }
  }
  onTrainEnd(_logs: Logs, ctx: TrainContext): void { if (this.bestWeights) ctx.setWeights(this.bestWeights); }
}

export interface CheckpointOptions {
  /** where to write; `{epoch}` is replaced by the epoch number */
  path: string;
  /** writes bytes atomically (the Node target supplies writeFileAtomic) */
  write: (path: string, bytes: Uint8Array) => Promise<void>;
  monitor?: string;
  saveBestOnly?: boolean;
  mode?: 'min' | 'max';
}

/** Writes the model file at the end of each epoch (or only when `monitor` improves). */
export class ModelCheckpoint implements Callback {
  private best = NaN;
  readonly saved: string[] = [];
  constructor(private readonly o: CheckpointOptions) {}
  async onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): Promise<void> {
    if (this.o.saveBestOnly) {
      const key = this.o.monitor ?? 'val_loss', v = logs[key];
      const sign = (this.o.mode ?? (/acc/.test(key) ? 'max' : 'min')) === 'max' ? -1 : 1;
      if (v === undefined || !(Number.isNaN(this.best) || sign * (this.best - v) > 0)) return;
      this.best = v;
    }
    const path = this.o.path.replace('{epoch}', String(epoch + 1));
    await this.o.write(path, ctx.toBytes());
    this.saved.push(path);
  }
}

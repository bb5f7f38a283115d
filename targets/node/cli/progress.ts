// Progress for long work: a cli-progress bar per epoch on a terminal (loss, accuracy, samples/s,
// ETA); one summary line per epoch otherwise (CI logs).
import cliProgress from 'cli-progress';
import type { Callback, Logs, TrainContext } from '../../../src/train/callbacks.js';

export class ProgressBar implements Callback {
  private bar?: cliProgress.SingleBar;
  private t0 = 0;
  private seen = 0;
  constructor(private readonly tty = Boolean(process.stderr.isTTY)) {}

  onEpochBegin(epoch: number, ctx: TrainContext): void {
    this.t0 = performance.now();
    this.seen = 0;
    if (!this.tty) return;
    this.bar = new cliProgress.SingleBar({
      format: `epoch ${String(epoch + 1).padStart(String(ctx.epochs).length)}/${ctx.epochs} {bar} {value}/{total} | loss {loss} | acc {acc} | {rate} samples/s | ETA {eta}s`,
      barsize: 24, hideCursor: true, clearOnComplete: false, stream: process.stderr,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(ctx.stepsPerEpoch, 0, { loss: '-', acc: '-', rate: '-' });
  }

  onBatchEnd(_step: number, logs: Logs): void {
    this.seen = logs.samples;
    if (!this.bar) return;
    const dt = (performance.now() - this.t0) / 1000;
    this.bar.increment(1, { loss: logs.loss.toFixed(4), acc: logs.accuracy?.toFixed(3) ?? '-', rate: Math.round(this.seen / Math.max(dt, 1e-9)).toLocaleString('en-US') });
  }

  onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): void {
    const dt = (performance.now() - this.t0) / 1000;
    this.bar?.stop();
    this.bar = undefined;
    const parts = Object.entries(logs).filter(([k]) => k !== 'lr').map(([k, v]) => `${k} ${v.toFixed(4)}`);
    process.stderr.write(`epoch ${epoch + 1}/${ctx.epochs}: ${parts.join(', ')} | ${Math.round(this.seen / Math.max(dt, 1e-9)).toLocaleString('en-US')} samples/s, ${dt.toFixed(2)} s\n`);
  }
}

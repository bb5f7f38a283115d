#!/usr/bin/env node
// The `axon` command. Every subcommand has --help; errors print the AxonError message and exit 1.
import { Command, InvalidArgumentError } from 'commander';
import { AxonError } from '../errors.js';
import { train } from './train.js';

const int = (v: string) => { const n = Number(v); if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer'); return n; };

export function program(): Command {
  const p = new Command('axon').description('Axon: train and run neural networks in WebAssembly SIMD').version('0.1.0');
  p.command('train')
    .description('train a model described by a JSON config on a dataset; writes the model file, history.json and report.svg')
    .argument('<config>', 'training config (JSON): data, model.layers, compile, fit, output')
    .option('-o, --out <dir>', 'output directory (default: the config\'s "output", else ./out)')
    .option('-e, --epochs <n>', 'override fit.epochs', int)
    .option('-b, --batch-size <n>', 'override fit.batchSize', int)
    .option('-s, --seed <n>', 'override the seed', int)
    .option('--build <name>', 'wasm build: auto, simd or relaxed', 'auto')
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', '\nExample:\n  axon train models/digits/config.json --epochs 20 --out out/digits')
    .action(async (config: string, o) => { await train(config, { out: o.out, epochs: o.epochs, batchSize: o.batchSize, seed: o.seed, build: o.build, progress: o.progress }); });
  return p;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (e) {
    if (e instanceof AxonError) { process.stderr.write(`axon: ${e.message}\n`); process.exitCode = 1; return; }
    throw e;
  }
}

main();

#!/usr/bin/env node
// The `axon` command. Every subcommand has --help; errors print the AxonError message and exit 1.
import { Command, InvalidArgumentError } from 'commander';
import { AxonError } from '../../../src/errors.js';
import { train } from './train.js';
import { compile, parseShapeSets } from './compile.js';
import { tune } from './tune.js';
import { quantize } from './quantize.js';
import { info, formatInfo } from './info.js';
import { run, parseShape } from './run.js';
import { runText } from './run_text.js';
import { importModel, exportModel } from './import.js';
import { generateText } from './lm.js';
import { merge } from './merge.js';

const int = (v: string) => { const n = Number(v); if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer'); return n; };
const threadsArg = (v: string) => (v === 'auto' ? 'auto' : int(v));

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
    .option('--threads <n>', "threads kernels may use: a number or auto (the machine's cores)", threadsArg, 'auto')
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', '\nExample:\n  axon train models/digits/config.json --epochs 20 --out out/digits')
    .action(async (config: string, o) => { await train(config, { out: o.out, epochs: o.epochs, batchSize: o.batchSize, seed: o.seed, build: o.build, threads: o.threads, progress: o.progress }); });
  p.command('compile')
    .description('compile a model file into one bundle for the standalone WASI program (build/axon.wasi.wasm): inference, and fine-tuning with --epochs')
    .argument('<model>', 'model file (.axon)')
    .requiredOption('-b, --batch <n>', 'batch size N of the plans (inference chunks, fine-tuning mini-batches)', int)
    .requiredOption('-o, --out <file>', 'bundle file to write (.axb)')
    .option('-e, --epochs <n>', 'fine-tuning epochs to precompute (needs --data or --samples)', int)
    .option('--data <file>', 'fine-tuning inputs (.npy, .idx, .csv); the row count fixes the steps')
    .option('--labels <file>', 'fine-tuning labels, checked against the loss')
    .option('--samples <n>', 'fine-tuning sample count when no --data is given', int)
    .option('-s, --seed <n>', "shuffle seed (default: the model's seed ^ 0x5eed, as fit)", int)
    .option('--no-shuffle', 'keep the sample order every epoch')
    .option('--bin-out <dir>', 'also write x.bin (f32 rows) and y.bin (i32 ids or f32 rows) for the device')
    .option('--scale <k>', 'multiply --data by k before the saved normalizer (the training config\'s data.scale)', Number)
    .option('--no-normalize', "don't apply the model file's saved normalizer to x.bin")
    .option('--shapes <sets>', 'concrete input shapes to hold plans for (open dimensions): sets by ";", inputs by ",", dims by "x", e.g. 5x4,6;9x4,6', parseShapeSets)
    .option('--text-file <file>', 'a model trained on text: sentences, one a line, tokenized into --bin-out\'s ids.bin and mask.bin (the device takes ids)')
    .option('--device', 'on-device training: the device trains on any number of rows with epochs, learning rate, schedule, validation split, early stopping and checkpoints given on its command line')
    .option('--device-normalize', 'with --device: the device applies the saved normalizer to raw rows (infer and finetune)')
    .addHelpText('after', '\nExample:\n  axon compile out/digits/model.axon --batch 32 --out digits.axb --epochs 2 --data x.npy --labels y.npy\n  wasmtime --dir=. build/axon.wasi.wasm finetune digits.axb x.bin y.bin 2 weights.bin\n  axon compile out/digits/model.axon --batch 32 --out device.axb --device --device-normalize\n  wasmtime --dir=. build/axon.wasi.wasm finetune device.axb x.bin y.bin w.bin --epochs 20 --val 0.2 --patience 3 --checkpoint ck.bin --resume')
    .action(async (model: string, o) => {
      const r = await compile(model, { batch: o.batch, out: o.out, epochs: o.epochs, data: o.data, labels: o.labels, samples: o.samples, seed: o.seed, shuffle: o.shuffle, binOut: o.binOut, scale: o.scale, normalize: o.normalize, shapes: o.shapes, textFile: o.textFile, device: o.device, deviceNormalize: o.deviceNormalize });
      process.stderr.write(`wrote ${r.files.join(', ')} (bundle ${r.bytes} bytes: ${r.plans} plans, batch ${r.batch}${r.shapes.length > 1 ? `, input shapes ${r.shapes.join('; ')}` : ''}${r.epochs ? `, ${r.epochs} epochs x ${r.steps / r.epochs} steps on ${r.samples} samples` : ''})\n`);
    });
  p.command('tune')
    .description('tune hyperparameters: grid, random or Bayesian search over a training config\'s values, each trial a training run; writes results.json, best.json (a runnable train config) and report.svg')
    .argument('<config>', 'tuning config (JSON): a training config plus "search": { method, trials, seconds, metric, space }')
    .option('-o, --out <dir>', 'output directory (default: <config output>/tune, else ./out/tune)')
    .option('-m, --method <name>', 'override search.method: grid, random or bayes')
    .option('-t, --trials <n>', 'override search.trials', int)
    .option('--seconds <s>', 'override search.seconds (no trial starts after this)', Number)
    .option('-e, --epochs <n>', 'override fit.epochs of every trial', int)
    .option('-s, --seed <n>', 'override the seed', int)
    .option('--build <name>', 'wasm build: auto, simd or relaxed', 'auto')
    .option('--no-pruning', 'run every trial to the end (no median stopping rule)')
    .option('--no-progress', 'no progress bar or per-trial lines')
    .addHelpText('after', `
Example (models/tune/digits.json):
  {
    ...a training config (data, model, compile, fit) as for axon train...,
    "search": {
      "method": "bayes", "trials": 20, "metric": "val_accuracy",
      "space": {
        "compile.optimizer.lr": { "logUniform": [0.0001, 0.1] },
        "fit.batchSize": { "choice": [16, 32, 64] },
        "model.layers.0.units": { "intRange": [16, 256] },
        "model.layers.1.rate": { "uniform": [0, 0.5] }
      }
    }
  }
  axon tune models/tune/digits.json --trials 12 --epochs 10 --out out/tune
  axon train out/tune/best.json`)
    .action(async (config: string, o) => {
      await tune(config, { out: o.out, method: o.method, trials: o.trials, seconds: o.seconds, epochs: o.epochs, seed: o.seed, build: o.build, pruning: o.pruning, progress: o.progress });
    });
  p.command('quantize')
    .description('post-training int8 quantization of a model file: int8 weights per output channel, int8 activations calibrated on sample inputs (or --dynamic); prints size and accuracy before/after')
    .argument('<model>', 'f32 model file (.axon)')
    .requiredOption('-o, --out <file>', 'int8 model file to write (.axon)')
    .option('-c, --calibration <file>', 'representative inputs (.npy, IDX, CSV), prepared as for training (--scale, then the saved normalizer)')
    .option('-n, --samples <n>', 'calibration samples (evenly spaced rows)', int, 500)
    .option('-m, --method <name>', 'activation ranges: minmax, percentile or mse', 'minmax')
    .option('--percentile <p>', 'percentile for --method percentile', Number, 99.99)
    .option('--dynamic', 'dynamic quantization: int8 Dense weights, activations quantized per batch at run time (no calibration)')
    .option('--weight-bits <b>', 'weight range: 8 ([-127, 127]) or 7 ([-63, 63], the relaxed-SIMD fast path)', int, 8)
    .option('--eval-x <file>', 'evaluation inputs: print accuracy before and after')
    .option('--eval-y <file>', 'evaluation labels')
    .option('--scale <k>', "multiply inputs by k before the saved normalizer (the training config's data.scale)", Number)
    .option('--build <name>', 'wasm build: auto, simd or relaxed', 'auto')
    .addHelpText('after', '\nExample:\n  axon quantize out/fashion-mnist-cnn/model.axon --calibration train-images-idx3-ubyte.gz --scale 0.00392156862745098 \\\n    --samples 500 --method percentile --out fashion.int8.axon --eval-x t10k-images-idx3-ubyte.gz --eval-y t10k-labels-idx1-ubyte.gz')
    .action(async (model: string, o) => {
      if (!['minmax', 'percentile', 'mse'].includes(o.method)) throw new AxonError('BAD_CONFIG', `--method must be minmax, percentile or mse, got ${o.method}`);
      if (o.weightBits !== 7 && o.weightBits !== 8) throw new AxonError('BAD_CONFIG', `--weight-bits must be 7 or 8, got ${o.weightBits}`);
      await quantize(model, { calibration: o.calibration, samples: o.samples, method: o.method, percentile: o.percentile, dynamic: o.dynamic, weightBits: o.weightBits,
        out: o.out, evalX: o.evalX, evalY: o.evalY, scale: o.scale, build: o.build });
    });
  p.command('info')
    .description('show a model file: layers, output shapes, parameters, tensor dtypes, quantization, file size')
    .argument('<model>', 'model file (.axon)')
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', '\nExample:\n  axon info fashion.int8.axon')
    .action(async (model: string, o) => {
      const i = await info(model);
      process.stdout.write((o.json ? JSON.stringify(i, null, 2) : formatInfo(i)) + '\n');
    });
  p.command('generate')
    .description('continue a prompt with a causal language model (trained with "task": "causalLm"), one token per step with a KV cache')
    .argument('<model>', 'model file (.axon)')
    .requiredOption('-p, --prompt <text>', 'the text to continue')
    .option('-n, --max-new-tokens <n>', 'tokens to add at most (stops at a line end)', int, 80)
    .option('--strategy <name>', 'greedy, topK or topP', 'greedy')
    .option('-k, --k <n>', 'topK: candidates kept', int)
    .option('--top-p <p>', 'topP: nucleus probability in (0, 1]', Number)
    .option('-t, --temperature <t>', 'divide the logits by t (> 0)', Number)
    .option('-s, --seed <n>', 'sampling seed', (v: string) => Number(v), 0)
    .option('--build <name>', 'wasm build: auto, simd or relaxed', 'auto')
    .addHelpText('after', '\nExample:\n  axon train models/lm/config.json && axon generate out/lm/model.axon --prompt "turn off the " --strategy topK -k 5 --seed 1')
    .action(async (model: string, o) => {
      const r = await generateText(model, { prompt: o.prompt, maxNewTokens: o.maxNewTokens, strategy: o.strategy, k: o.k, p: o.topP, temperature: o.temperature, seed: o.seed, build: o.build });
      process.stdout.write(JSON.stringify({ prompt: r.prompt, text: r.text }) + '\n');
      process.stderr.write(`${r.prompt}${r.text}\n(${[...r.text].length} characters in ${(r.seconds * 1000).toFixed(0)} ms)\n`);
    });
  p.command('run')
    .description('run a model on a file of inputs; writes the outputs as .npy or .json (JSON on stdout without --out)')
    .argument('<model>', 'model file (.axon)')
    .option('-i, --input <file>', 'inputs: .npy, raw little-endian f32 .bin, or a dataset file (IDX, CSV); several inputs: --input name=file for each (i32 inputs: int32/int64 .npy)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('-t, --text <sentence>', 'a model trained on text: a sentence to classify (repeatable); its tokenizer is in the model file', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--text-file <file>', 'a model trained on text: one sentence per line ("label<TAB>text" lines: the accuracy is reported)')
    .option('--shape <dims>', 'per-sample shape of a .bin input, e.g. 28,28,1 (default: the model input shape)', parseShape)
    .option('-o, --out <file>', 'output file: .npy or .json')
    .option('--scale <k>', "multiply inputs by k before the saved normalizer (the training config's data.scale)", Number)
    .option('--no-normalize', "don't apply the model file's saved normalizer")
    .option('-b, --batch-size <n>', 'samples per wasm call', int, 256)
    .option('--build <name>', 'wasm build: auto, simd or relaxed', 'auto')
    .option('--threads <n>', "threads kernels may use: a number or auto (the machine's cores)", threadsArg, 'auto')
    .addHelpText('after', '\nExample:\n  axon run fashion.int8.axon --input images.npy --scale 0.00392156862745098 --out probs.npy\n  axon run model.axon --input x.bin --shape 28,28,1 --out out.json\n  axon run lstm.axon --input seq=seq.npy --input h0=h0.npy --out y.npy   # writes y.<output>.npy per output\n  axon run out/text/model.axon --text "turn on the kitchen lights"')
    .action(async (model: string, o) => {
      const flags = { input: o.input, shape: o.shape, out: o.out, scale: o.scale, normalize: o.normalize, batchSize: o.batchSize, build: o.build, threads: o.threads };
      if (o.text || o.textFile) {
        const r = await runText(model, { ...flags, text: o.text, textFile: o.textFile });
        if (r.json) process.stdout.write(r.json + '\n');
        process.stderr.write(`${r.samples} texts → ${r.labels.slice(0, 5).join(', ')}${r.samples > 5 ? ', …' : ''}${r.accuracy !== undefined ? `; accuracy ${(r.accuracy * 100).toFixed(2)}%` : ''} in ${(r.seconds * 1000).toFixed(1)} ms${r.out ? `; wrote ${r.out}` : ''}\n`);
        return;
      }
      const r = await run(model, flags);
      if (r.json) process.stdout.write(r.json + '\n');
      const shapes = r.outputs.length === 1 ? `[${r.outputShape.join(', ')}]` : r.outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ');
      process.stderr.write(`${r.samples} samples → ${shapes} in ${(r.seconds * 1000).toFixed(1)} ms${r.out ? `; wrote ${r.out}` : ''}\n`);
    });
  p.command('import')
    .description('convert an ONNX model (.onnx) or a TensorFlow.js layers or graph model (model.json, shards beside it) into an Axon model file')
    .argument('<model>', 'model.onnx, model.json, or a JavaScript module exporting the model.json (as npm packages ship them: model.min.js; it is run to read it)')
    .requiredOption('-o, --out <file>', 'Axon model file to write (.axon)')
    .option('--name <name>', 'model name')
    .option('--output <node>', 'TF.js graph model: the node whose value the model outputs (default: the signature output, else the one node nothing reads)')
    .option('--input-shape <dims>', 'TF.js graph model: per-sample input shape when the graph leaves it open, e.g. 224,224,3', (v: string) => v.split(',').map((d) => Number(d.trim())))
    .addHelpText('after', '\nONNX (N, C, H, W) inputs become channels-last (N, H, W, C) Axon inputs.\nExample:\n  axon import resnet_block.onnx --out block.axon\n  axon import web_model/model.json --out model.axon\n  axon import node_modules/nsfwjs/dist/models/mobilenet_v2/model.min.js --out nsfw.axon')
    .action(async (model: string, o) => {
      const r = await importModel(model, { out: o.out, name: o.name, output: o.output, inputShape: o.inputShape });
      process.stderr.write(`wrote ${r.out}: ${r.layers} layers, ${r.params} parameters, input [N, ${r.inputShape}]${r.note ? `; ${r.note}` : ''}\n`);
    });
  p.command('merge')
    .description('put the weights a WASI device fine-tuned (axon.wasi.wasm finetune ... w.bin) back into the model file the bundle was compiled from')
    .argument('<model>', 'the model file (.axon) given to axon compile').argument('<bundle>', 'the bundle (.axb) the device ran').argument('<weights>', 'the weights file it wrote')
    .requiredOption('-o, --out <file>', 'model file to write (.axon): the graph, normalizer and compile settings of <model>, the device\'s weights')
    .addHelpText('after', '\nExample:\n  axon merge digits.axon digits.axb w.bin --out tuned.axon && axon run tuned.axon --input x.npy')
    .action(async (model: string, bundle: string, weights: string, o) => {
      const r = await merge(model, bundle, weights, { out: o.out });
      process.stderr.write(`wrote ${r.out} (${r.bytes} bytes)\n`);
    });
  p.command('export')
    .description('write an Axon model file as ONNX (.onnx) or as safetensors with PyTorch names and layouts (.safetensors)')
    .argument('<model>', 'model file (.axon)')
    .requiredOption('-o, --out <file>', 'output: .onnx or .safetensors')
    .option('--layout <layout>', 'ONNX input layout: nhwc (as in Axon) or nchw (as in PyTorch)', 'nhwc')
    .option('--opset <n>', 'ONNX opset 13 … 17', int, 13)
    .addHelpText('after', '\nExample:\n  axon export model.axon --out model.onnx --layout nchw\n  axon export model.axon --out state_dict.safetensors')
    .action(async (model: string, o) => {
      if (o.layout !== 'nhwc' && o.layout !== 'nchw') throw new AxonError('BAD_ARGUMENT', `--layout must be nhwc or nchw, got ${o.layout}`);
      const r = await exportModel(model, { out: o.out, layout: o.layout, opset: o.opset });
      process.stderr.write(`wrote ${r.out} (${r.bytes} bytes)\n`);
    });
  return p;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (e) {
    if (e instanceof AxonError) { process.stderr.write(`axon: ${e.message}\n`); process.exitCode = 1; return; }
    const sys = e as NodeJS.ErrnoException;   // a file the command reads or writes (missing directory, permissions, disk full)
    if (typeof sys?.code === 'string' && sys.syscall && sys.path) {
      process.stderr.write(`axon: ${sys.path}: cannot ${sys.syscall} (${sys.code}); check that the path exists and is writable\n`); process.exitCode = 1; return;
    }
    throw e;
  }
}

main();

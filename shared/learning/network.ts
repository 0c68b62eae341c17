// The classifier network: a small multilayer perceptron over the encoded features. Every
// initializer is seeded, so the same seed and data give the same model.
import type { LayersModel, Tf } from './tf.js';

export const DEFAULT_HIDDEN_UNITS: readonly number[] = [32, 16];

export interface NetworkOptions {
  inputWidth: number;
  classCount: number;
  /** Units of each hidden ReLU layer. Default [32, 16]. */
  hiddenUnits?: readonly number[];
  learningRate: number;
  /** L2 penalty on every kernel; 0 adds none. */
  l2: number;
  seed: number;
}

/** A compiled MLP: hidden ReLU layers, softmax output, Adam on categorical cross-entropy. */
export function buildNetwork(tf: Tf, options: NetworkOptions): LayersModel {
  const { inputWidth, classCount, learningRate, l2, seed } = options;
  if (!(inputWidth >= 1)) throw new RangeError(`the feature spec encodes no values (width ${inputWidth})`);
  if (!(classCount >= 2)) throw new RangeError(`a classifier needs at least 2 classes, got ${classCount}`);
  const units = [...(options.hiddenUnits ?? DEFAULT_HIDDEN_UNITS), classCount];
  const model = tf.sequential();
  units.forEach((n, i) => {
    const output = i === units.length - 1;
    model.add(
      tf.layers.dense({
        units: n,
        activation: output ? 'softmax' : 'relu',
        ...(i === 0 ? { inputShape: [inputWidth] } : {}),
        // Each layer gets its own seed: one seed for all would correlate their initial weights.
        kernelInitializer: output ? tf.initializers.glorotUniform({ seed: seed + i }) : tf.initializers.heNormal({ seed: seed + i }),
        biasInitializer: 'zeros',
        ...(l2 > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2 }) } : {}),
      }),
    );
  });
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy' });
  return model;
}

/** Units of the hidden layers of a network built by buildNetwork (all dense layers but the output). */
export function hiddenUnitsOf(model: LayersModel): number[] {
  const dense = model.layers.map((layer) => layer.getConfig().units).filter((u): u is number => typeof u === 'number');
  return dense.slice(0, -1);
}

export function inputWidthOf(model: LayersModel): number {
  const shape = model.inputs[0]?.shape;
  return shape?.[shape.length - 1] ?? 0;
}

export function outputWidthOf(model: LayersModel): number {
  const shape = model.outputs[0]?.shape;
  return shape?.[shape.length - 1] ?? 0;
}

/**
 * Frees a network and its optimizer. A model compiled with an optimizer instance does not
 * own it (tfjs disposes only optimizers it created from a name), so its Adam moments would leak.
 */
export function disposeNetwork(model: LayersModel): void {
  const optimizer = (model as { optimizer?: { dispose(): void } }).optimizer;
  optimizer?.dispose();
  model.dispose();
}

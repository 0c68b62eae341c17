// The hyperparameter search of a retrain. One training run per (learning rate, L2) pair,
// read at each epoch count of the grid: because the run's shuffles and early stopping
// depend only on the epochs so far, the best weights at checkpoint e are those of a run
// with e epochs and the same seed, at a fraction of the cost.
import type { SearchRow } from '../codec/events.generated.js';
import type { LabelledExample } from './example.js';
import type { FeatureSpec } from './feature-spec.js';
import { buildNetwork, disposeNetwork, hiddenUnitsOf, inputWidthOf, outputWidthOf } from './network.js';
import type { ScoreMetric } from './scoring.js';
import { loadTf, type LayersModel, type Tensor, type Tf } from './tf.js';
import { encodeExamples, fitWithEarlyStopping, type EpochState } from './training.js';

export interface Grid {
  learningRate: number[];
  epochs: number[];
  l2: number[];
}

/**
 * One grid point's result; the incident record's SearchRow, so the table goes into the
 * record as it is. `stoppedEpoch` counts the epochs actually trained by this checkpoint
 * (fewer than `epochs` after early stopping); `seconds` is the run's time up to it.
 */
export type GridRow = SearchRow;

/** The champion a search fine-tunes from. */
export interface ParentModel {
  model: LayersModel;
  classes: readonly string[];
  spec: FeatureSpec;
}

export interface GridSearchOptions {
  spec: FeatureSpec;
  classes: readonly string[];
  train: readonly LabelledExample[];
  validation: readonly LabelledExample[];
  grid: Grid;
  parent?: ParentModel;
  metric: ScoreMetric;
  batchSize?: number;
  /** Epochs without validation-loss improvement before a run stops. Default 3. */
  patience?: number;
  /** Hidden layers when training from scratch (a fine-tune keeps its parent's). */
  hiddenUnits?: readonly number[];
  seed: number;
}

export interface SearchStart {
  /** True when every run started from the parent's weights. */
  fromParent: boolean;
  /** Why the parent was not used, when there was one. */
  reason: string | null;
  hiddenUnits: number[];
}

export interface GridSearchResult {
  table: GridRow[];
  /** The caller owns `model` and must dispose it (disposeNetwork). */
  best: { row: GridRow; model: LayersModel };
  start: SearchStart;
}

export async function gridSearch(options: GridSearchOptions): Promise<GridSearchResult> {
  const { tf } = await loadTf();
  const { spec, classes, grid, metric, seed } = options;
  checkGrid(grid);
  const batchSize = options.batchSize ?? 64;
  const patience = options.patience ?? 3;
  const start = searchStart(options);
  const train = encodeExamples(spec, classes, options.train);
  const validation = encodeExamples(spec, classes, options.validation);
  const checkpoints = [...new Set(grid.epochs)].sort((a, b) => a - b);
  const maxEpochs = checkpoints[checkpoints.length - 1] as number;

  const rows = new Map<string, GridRow>();
  let best: { row: GridRow; weights: Tensor[] } | null = null;
  try {
    for (const learningRate of grid.learningRate) {
      for (const l2 of grid.l2) {
        const model = startingNetwork(tf, options, start, learningRate, l2);
        try {
          let next = 0;
          const onEpoch = (state: EpochState, bestWeights: readonly Tensor[]): void => {
            // A stopped run answers every remaining checkpoint with what it ended with.
            while (next < checkpoints.length && ((checkpoints[next] as number) <= state.epoch || state.stopped)) {
              const row: GridRow = {
                learningRate,
                epochs: checkpoints[next] as number,
                l2,
                validationMetric: state.best.score.value,
                validationLoss: state.best.loss,
                stoppedEpoch: state.epoch,
                seconds: state.seconds,
              };
              rows.set(rowKey(row), row);
              if (best === null || better(row, best.row)) {
                for (const w of best?.weights ?? []) w.dispose();
                best = { row, weights: bestWeights.map((w) => w.clone()) };
              }
              next += 1;
            }
          };
          await fitWithEarlyStopping(tf, model, train, validation, { classes, maxEpochs, batchSize, patience, seed, metric, onEpoch });
        } finally {
          disposeNetwork(model);
        }
      }
    }
    const winner = best as unknown as { row: GridRow; weights: Tensor[] };
    const model = buildNetwork(tf, { inputWidth: spec.width, classCount: classes.length, hiddenUnits: start.hiddenUnits, learningRate: winner.row.learningRate, l2: winner.row.l2, seed });
    model.setWeights(winner.weights);
    // The table follows the grid's own order, whatever order the runs produced rows in.
    const table = grid.learningRate.flatMap((learningRate) =>
      grid.epochs.flatMap((epochs) => grid.l2.map((l2) => rows.get(rowKey({ learningRate, epochs, l2 })) as GridRow)),
    );
    return { table, best: { row: winner.row, model }, start };
  } finally {
    const held = best as { weights: Tensor[] } | null;
    for (const w of held?.weights ?? []) w.dispose();
  }
}

function rowKey(row: Pick<GridRow, 'learningRate' | 'epochs' | 'l2'>): string {
  return `${row.learningRate}|${row.epochs}|${row.l2}`;
}

/** Higher validation metric wins; a tie goes to the lower validation loss, then to the earlier grid point. */
function better(a: GridRow, b: GridRow): boolean {
  const am = Number.isNaN(a.validationMetric) ? -Infinity : a.validationMetric;
  const bm = Number.isNaN(b.validationMetric) ? -Infinity : b.validationMetric;
  if (am !== bm) return am > bm;
  return a.validationLoss < b.validationLoss;
}

function checkGrid(grid: Grid): void {
  for (const [axis, values] of Object.entries(grid) as [keyof Grid, number[]][]) {
    if (values.length === 0) throw new RangeError(`grid axis ${axis} is empty`);
    for (const v of values) {
      const ok = axis === 'epochs' ? Number.isInteger(v) && v >= 1 : axis === 'learningRate' ? v > 0 && Number.isFinite(v) : v >= 0 && Number.isFinite(v);
      if (!ok) throw new RangeError(`grid ${axis} has an invalid value ${v}`);
    }
    if (new Set(values).size !== values.length) throw new RangeError(`grid axis ${axis} repeats a value`);
  }
}

function sameSpec(a: FeatureSpec, b: FeatureSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether the parent's weights fit this data: same spec, same classes in the same order. */
function searchStart(options: GridSearchOptions): SearchStart {
  const scratch = options.hiddenUnits ? [...options.hiddenUnits] : [32, 16];
  const parent = options.parent;
  if (!parent) return { fromParent: false, reason: null, hiddenUnits: scratch };
  const { spec, classes } = options;
  let reason: string | null = null;
  if (parent.classes.join('\u0000') !== classes.join('\u0000')) {
    reason = `the parent's classes [${parent.classes.join(', ')}] differ from the data's [${classes.join(', ')}]; trained from scratch`;
  } else if (!sameSpec(parent.spec, spec)) {
    reason = "the parent's feature spec differs from the data's; trained from scratch";
  } else if (inputWidthOf(parent.model) !== spec.width || outputWidthOf(parent.model) !== classes.length) {
    reason = `the parent's network shape (${inputWidthOf(parent.model)} → ${outputWidthOf(parent.model)}) does not fit ${spec.width} features → ${classes.length} classes; trained from scratch`;
  }
  if (reason !== null) return { fromParent: false, reason, hiddenUnits: scratch };
  return { fromParent: true, reason: null, hiddenUnits: hiddenUnitsOf(parent.model) };
}

function startingNetwork(tf: Tf, options: GridSearchOptions, start: SearchStart, learningRate: number, l2: number): LayersModel {
  const model = buildNetwork(tf, {
    inputWidth: options.spec.width,
    classCount: options.classes.length,
    hiddenUnits: start.hiddenUnits,
    learningRate,
    l2,
    seed: options.seed,
  });
  // setWeights copies values, so the parent stays untouched for the next run.
  if (start.fromParent && options.parent) model.setWeights(options.parent.model.getWeights());
  return model;
}

// Follows a model's champion on the models topic and serves predictions from it, swapping a
// new version in while the app keeps predicting (docs/design/retraining.md, "ModelWatcher").
//
// Swap protocol: a new version is loaded and verified (the store checks every file's sha256,
// tfjs builds the model) entirely on the side, while predictions keep using the current one.
// Only then does one assignment of `this.current` switch every later call to it. The old
// classifier is disposed right after that assignment. That is safe because predict() and
// predictBatch() are synchronous: JavaScript runs one of them to completion before any other
// code (including the loader's continuation that swaps) can run, so no call can be half-way
// through the old model when it is disposed, and every call that starts after the assignment
// reads the new reference. predictAndLog() captures the result before its first await, so it
// never touches the classifier afterwards either.
//
// A version that cannot be loaded (IntegrityError from a corrupted artifact, a missing
// version, a tfjs error) is refused: the current one keeps serving, the failure is logged and
// counted, and the same version is not retried in a loop (a new champion event for it, or
// for another version, is what triggers the next attempt; transient errors get a few
// attempts with exponential backoff).
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Batch, EventBus, Subscription } from '../../bus/types.js';
import { Codec, CodecError, type ModelEvent } from '../../codec/index.js';
import { silentLogger } from '../../log/logger.js';
import { topicNames, type TopicNames } from '../../topics.js';
import { loadClassifier, type Classifier } from '../../learning/classifier.js';
import type { FeatureRow } from '../../learning/feature-spec.js';
import { IntegrityError, ModelNotFoundError, type ModelStore } from '../../models/model-store.js';
import { DriftwatchClient } from '../client.js';
import { ChampionTracker } from '../../models/champion-tracker.js';

export type ModelVariantName = 'float32' | 'float16' | 'uint8';

export interface WatchedPrediction {
  predictedClass: string;
  probabilities: Record<string, number>;
  /** The version that made this prediction; log it with the prediction. */
  modelVersion: string;
}

export interface ModelWatcherOptions {
  bus: EventBus;
  store: ModelStore;
  model: string;
  topics?: TopicNames;
  codec?: Codec;
  logger?: Logger;
  /** Which weights to load (default float32, the full-precision model). */
  variant?: ModelVariantName;
  /** Publishes predictAndLog()'s predictions; defaults to a client on the same bus, topics and codec. */
  client?: DriftwatchClient;
  /** Called after each swap (also emitted as the 'swap' event). */
  onSwap?: (from: string | undefined, to: string) => void;
  /** ready() rejects after this long without a loaded version (default: waits forever). */
  readyTimeoutMs?: number;
  /** Backoff of retries after a transient load error (default 1 s, doubling, at most 3 retries). */
  retry?: { initialMs?: number; maxRetries?: number };
}

export interface SwapFailure {
  version: string;
  error: Error;
  /** True when the artifact failed its sha256 check. */
  integrity: boolean;
}

export class ModelNotReadyError extends Error {
  override readonly name = 'ModelNotReadyError';
}

interface Loaded {
  version: string;
  classifier: Classifier;
}

/** Errors that another attempt at the same version cannot fix. */
function permanent(error: unknown): boolean {
  return error instanceof IntegrityError || error instanceof ModelNotFoundError;
}

/** What a watcher emits: `on('swap', (from, to) => …)`, `on('failure', (failure) => …)`. */
export interface ModelWatcherEvents {
  swap: [from: string | undefined, to: string];
  failure: [failure: SwapFailure];
}

export class ModelWatcher extends EventEmitter<ModelWatcherEvents> {
  readonly model: string;
  /** Versions refused so far (integrity, missing, load errors), each attempt counted. */
  failures = 0;
  /** PROMOTED events ignored for a fencing token below the highest seen for the model. */
  stalePromotions = 0;
  /** The last refused version and why. */
  lastFailure: SwapFailure | undefined;

  private current: Loaded | undefined;
  private readonly tracker = new ChampionTracker();
  /** The champion the topic names; what the loader works towards. */
  private target: string | undefined;
  /** Target generation: bumped by every champion event, so a repeated event retries a refused version. */
  private generation = 0;
  private refused: { version: string; generation: number } | undefined;
  private loading: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retries = 0;
  private subscription: Subscription | undefined;
  private closed = false;
  private readonly logger: Logger;
  private readonly codec: Codec;
  private readonly topics: TopicNames;
  private readonly client: DriftwatchClient;
  private readyState: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void };
  private readyTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly options: ModelWatcherOptions) {
    super();
    this.model = options.model;
    this.logger = (options.logger ?? silentLogger()).child({ component: 'model-watcher', model: options.model });
    this.codec = options.codec ?? new Codec();
    this.topics = options.topics ?? topicNames();
    this.client = options.client ?? new DriftwatchClient({ bus: options.bus, topics: this.topics, codec: this.codec });
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A caller that never awaits ready() must not get an unhandled rejection.
    promise.catch(() => {});
    this.readyState = { promise, resolve, reject };
    if (options.onSwap) this.on('swap', options.onSwap);
  }

  /**
   * Starts following `<prefix>models` from its beginning in a throwaway consumer group (every
   * watcher reads every event; nothing it commits matters to anyone else).
   */
  static async start(options: ModelWatcherOptions): Promise<ModelWatcher> {
    const watcher = new ModelWatcher(options);
    if (options.readyTimeoutMs !== undefined) {
      watcher.readyTimer = setTimeout(() => {
        watcher.readyState.reject(
          new ModelNotReadyError(`model ${options.model}: no version loaded within ${options.readyTimeoutMs} ms`),
        );
      }, options.readyTimeoutMs);
      watcher.readyTimer.unref();
    }
    watcher.subscription = await options.bus.subscribe({
      groupId: `${watcher.topics.models}-watcher-${randomUUID()}`,
      topics: [watcher.topics.models],
      fromBeginning: true,
      handler: watcher.handleBatch,
    });
    return watcher;
  }

  /** Resolves once a first version is loaded; rejects after `timeoutMs` (or the start option). */
  ready(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.current) return Promise.resolve();
    if (options.timeoutMs === undefined) return this.readyState.promise;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ModelNotReadyError(`model ${this.model}: no version loaded within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      this.readyState.promise.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** The version predictions currently come from. */
  version(): string | undefined {
    return this.current?.version;
  }

  /** The champion named by the topic (may differ from version() while loading or after a refusal). */
  champion(): string | undefined {
    return this.target;
  }

  predict(features: FeatureRow): WatchedPrediction {
    const loaded = this.loaded();
    const { predictedClass, probabilities } = loaded.classifier.predict(features);
    return { predictedClass, probabilities, modelVersion: loaded.version };
  }

  predictBatch(rows: FeatureRow[]): WatchedPrediction[] {
    // One reference for the whole batch: every row comes from the same version.
    const loaded = this.loaded();
    return loaded.classifier
      .predictBatch(rows)
      .map(({ predictedClass, probabilities }) => ({ predictedClass, probabilities, modelVersion: loaded.version }));
  }

  /** Predicts, then logs the prediction (with the version that made it) to the predictions topic. */
  async predictAndLog(id: string, features: FeatureRow, options: { eventTime?: number | Date } = {}): Promise<WatchedPrediction> {
    const [result] = await this.predictAndLogBatch([{ id, features, ...options }]);
    return result!;
  }

  async predictAndLogBatch(
    items: { id: string; features: FeatureRow; eventTime?: number | Date }[],
  ): Promise<WatchedPrediction[]> {
    const results = this.predictBatch(items.map((item) => item.features));
    await this.client.logPredictions(
      items.map((item, i) => ({
        id: item.id,
        model: this.model,
        modelVersion: results[i]!.modelVersion,
        ...(item.eventTime !== undefined ? { time: item.eventTime } : {}),
        features: item.features,
        predictedClass: results[i]!.predictedClass,
        probabilities: results[i]!.probabilities,
      })),
    );
    return results;
  }

  /** Stops following the topic and releases the loaded model. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.readyTimer);
    this.readyState.reject(new ModelNotReadyError(`model ${this.model}: watcher closed before a version was loaded`));
    await this.subscription?.stop();
    await this.loading?.catch(() => {});
    this.current?.classifier.dispose();
    this.current = undefined;
  }

  private loaded(): Loaded {
    const loaded = this.current;
    if (!loaded) {
      throw new ModelNotReadyError(
        this.closed
          ? `model ${this.model}: the watcher is closed`
          : `model ${this.model}: no version loaded yet (await watcher.ready() first)`,
      );
    }
    return loaded;
  }

  private readonly handleBatch = async (batch: Batch): Promise<void> => {
    let changed = false;
    for (const message of batch.messages) {
      let event: ModelEvent;
      try {
        event = this.codec.decode('model', message.value, message.headers);
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        this.logger.warn({ offset: message.offset, reason: error.reason, err: error.message }, 'undecodable model event skipped');
        continue;
      }
      if (event.model !== this.model) continue;
      const decision = this.tracker.apply(event);
      if (decision.kind === 'stale') {
        this.stalePromotions += 1;
        this.logger.warn(
          { version: decision.version, fencingToken: decision.fencingToken, highestToken: decision.highestToken },
          'PROMOTED with a stale fencing token ignored',
        );
      } else if (decision.kind === 'champion') {
        this.target = decision.version;
        this.generation += 1;
        changed = true;
      }
    }
    if (changed && this.retryTimer) {
      // A new champion event supersedes the backoff of a transient failure.
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.retries = 0;
    }
    // While catching up on history, load only the version the log names at its end.
    const caughtUp = batch.highWatermark === undefined || batch.lastOffset + 1 >= batch.highWatermark;
    if (caughtUp) this.kick();
  };

  /** Starts the loader unless it runs; it works towards the latest target until it matches. */
  private kick(): void {
    if (this.loading || this.closed) return;
    this.loading = this.loadLoop().finally(() => {
      this.loading = undefined;
    });
  }

  private async loadLoop(): Promise<void> {
    while (!this.closed) {
      const version = this.target;
      const generation = this.generation;
      if (version === undefined || version === this.current?.version) return;
      if (this.refused && this.refused.version === version && this.refused.generation === generation) return;
      if (this.retryTimer) return;
      let next: Classifier;
      const started = Date.now();
      try {
        next = await loadClassifier(this.options.store, this.model, version, {
          ...(this.options.variant ? { variant: this.options.variant } : {}),
        });
      } catch (error) {
        this.refuse(version, generation, error as Error);
        continue;
      }
      if (this.closed || this.target !== version) {
        // Superseded while loading (a newer event, or close()): never serve it.
        next.dispose();
        continue;
      }
      this.retries = 0;
      const previous = this.current;
      this.current = { version, classifier: next }; // the swap: one assignment
      previous?.classifier.dispose(); // safe: see the header comment
      this.logger.info({ from: previous?.version, to: version, loadMs: Date.now() - started }, 'model version swapped in');
      this.readyState.resolve();
      clearTimeout(this.readyTimer);
      this.emit('swap', previous?.version, version);
    }
  }

  private refuse(version: string, generation: number, error: Error): void {
    this.failures += 1;
    const integrity = error instanceof IntegrityError;
    this.lastFailure = { version, error, integrity };
    const serving = this.current?.version;
    const retryPolicy = this.options.retry ?? {};
    const maxRetries = retryPolicy.maxRetries ?? 3;
    if (!permanent(error) && this.retries < maxRetries) {
      const delay = (retryPolicy.initialMs ?? 1_000) * 2 ** this.retries;
      this.retries += 1;
      this.logger.error({ version, serving, err: error.message, retryInMs: delay }, 'model version failed to load; will retry');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, delay);
      this.retryTimer.unref();
    } else {
      this.retries = 0;
      this.refused = { version, generation };
      this.logger.error(
        { version, serving, integrity, err: error.message },
        integrity ? 'model version refused: artifact failed its integrity check' : 'model version refused: it cannot be loaded',
      );
    }
    this.emit('failure', this.lastFailure);
  }
}

// The champion of one model, read from the models topic at the moment a retrain starts. The
// topic is one compacted partition, so reading it whole is cheap and needs no state of its own.
import type { LogReader } from '../bus/types.js';
import type { Codec } from '../codec/codec.js';
import { CodecError } from '../codec/errors.js';
import { ModelNotFoundError, type ModelStore } from '../models/model-store.js';
import { ChampionTracker } from '../models/champion-tracker.js';
import type { Champion } from './champion.js';

export interface ReadChampionOptions {
  reader: LogReader;
  codec: Codec;
  topic: string;
  store: ModelStore;
  model: string;
}

export async function readChampion(options: ReadChampionOptions): Promise<Champion | null> {
  const tracker = await readTracker(options);
  const version = tracker.champion;
  if (version === null) return null;
  try {
    return { version, manifest: await options.store.manifest(options.model, version) };
  } catch (error) {
    if (error instanceof ModelNotFoundError) return { version, manifest: null };
    throw error;
  }
}

/**
 * The fencing floor of a model: the highest fencingToken its model events carry on the topic
 * (ChampionTracker's rule: every event counts, a stale PROMOTED is below it anyway), 0 when none.
 * The retrain lock's next token is above it (acquire-lock.lua), so a fence counter Redis lost
 * or let expire cannot hand out a token consumers would ignore as stale. Compaction keeps the
 * highest: an event that replaces the newest retrain's under its key is a later retrain's
 * (a higher token) or an operator's ROLLED_BACK under the model key, while that retrain's
 * CANDIDATE or REJECTED stays under `<model>@<version>`.
 */
export async function readFencingFloor(options: Omit<ReadChampionOptions, 'store'>): Promise<number> {
  return (await readTracker(options)).fencingToken ?? 0;
}

async function readTracker(options: Omit<ReadChampionOptions, 'store'>): Promise<ChampionTracker> {
  const tracker = new ChampionTracker();
  await options.reader.readFrom(options.topic, 0, (messages) => {
    for (const message of messages) {
      if (message.value === null) continue;
      try {
        const event = options.codec.decode('model', message.value, message.headers);
        if (event.model === options.model) tracker.apply(event);
      } catch (error) {
        // A malformed model event is the publisher's bug; it must not stop every retrain.
        if (!(error instanceof CodecError)) throw error;
      }
    }
  });
  return tracker;
}

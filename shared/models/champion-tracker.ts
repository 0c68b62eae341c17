// Which version is a model's champion, from its model events in topic order. Pure and free of
// tfjs, so the registry view (CLI) and the ModelWatcher (upstream apps) apply the same rule:
// the champion is the last PROMOTED or ROLLED_BACK event, except that a PROMOTED whose
// fencingToken is lower than the highest token already seen for the model is ignored (a
// retrainer that lost its lock and published late must not override a newer promotion).
import type { ModelEvent } from '../codec/index.js';

export type ChampionDecision =
  | { kind: 'champion'; version: string }
  /** A PROMOTED from a stale lock holder: its token is below `highestToken`. */
  | { kind: 'stale'; version: string; fencingToken: number; highestToken: number }
  /** Not a champion change (CANDIDATE, REJECTED). */
  | { kind: 'none' };

/** The champion of one model; feed it that model's events in topic order. */
export class ChampionTracker {
  private highestToken: number | null = null;
  private current: string | null = null;

  get champion(): string | null {
    return this.current;
  }

  get fencingToken(): number | null {
    return this.highestToken;
  }

  apply(event: Pick<ModelEvent, 'status' | 'version' | 'fencingToken'>): ChampionDecision {
    const token = event.fencingToken ?? null;
    if (event.status === 'PROMOTED' && token !== null && this.highestToken !== null && token < this.highestToken) {
      return { kind: 'stale', version: event.version, fencingToken: token, highestToken: this.highestToken };
    }
    // Every event's token counts (a CANDIDATE already proves a newer lock holder exists).
    if (token !== null && (this.highestToken === null || token > this.highestToken)) this.highestToken = token;
    if (event.status !== 'PROMOTED' && event.status !== 'ROLLED_BACK') return { kind: 'none' };
    this.current = event.version;
    return { kind: 'champion', version: event.version };
  }
}

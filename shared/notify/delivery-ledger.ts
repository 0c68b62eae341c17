// The Redis record of each (alert id, sink) delivery: what makes a delivery happen once across
// redelivered batches, restarts and instances. A delivery is claimed before its first attempt
// (claim-delivery.lua), recorded delivered or dead when it ends (finish-delivery.lua), and its
// claim released if the instance stops midway (release-delivery.lua). Every key expires: a
// claim after its ttl (a killed instance's delivery is then taken over), a record after the
// record ttl (DeliveryPolicy.recordTtlMs, 7 days by default).
import { defineLuaScript, type LuaCommand } from '../store/lua-scripts.js';
import type { RedisClient } from '../store/redis-connection.js';

export type ClaimState = { state: 'claimed' } | { state: 'delivered' | 'dead' } | { state: 'busy'; expiresInMs: number };
export type FinishState = 'held' | 'lost' | 'delivered';

/** `dw:notify:<namespace>:<sink>:delivery:<alert id>`; the namespace (the topic prefix) keeps deployments sharing a Redis apart. */
export function deliveryKey(namespace: string, sink: string, alertId: string): string {
  return `dw:notify:${namespace}:${sink}:delivery:${alertId}`;
}

export class DeliveryLedger {
  private readonly claimScript: LuaCommand;
  private readonly finishScript: LuaCommand;
  private readonly releaseScript: LuaCommand;

  constructor(
    client: RedisClient,
    private readonly namespace: string,
    private readonly owner: string,
  ) {
    const base = import.meta.url;
    this.claimScript = defineLuaScript(client, base, { name: 'driftwatchClaimDelivery', file: './claim-delivery.lua', numberOfKeys: 1 });
    this.finishScript = defineLuaScript(client, base, { name: 'driftwatchFinishDelivery', file: './finish-delivery.lua', numberOfKeys: 1 });
    this.releaseScript = defineLuaScript(client, base, { name: 'driftwatchReleaseDelivery', file: './release-delivery.lua', numberOfKeys: 1 });
  }

  async claim(sink: string, alertId: string, claimTtlMs: number): Promise<ClaimState> {
    const [state, ms] = (await this.claimScript([this.key(sink, alertId)], [this.owner, Math.ceil(claimTtlMs)])) as [string, number];
    if (state === 'busy') return { state, expiresInMs: Number(ms) };
    return { state: state as 'claimed' | 'delivered' | 'dead' };
  }

  async finish(sink: string, alertId: string, outcome: 'delivered' | 'dead', recordTtlMs: number): Promise<FinishState> {
    return (await this.finishScript([this.key(sink, alertId)], [this.owner, outcome, Math.ceil(recordTtlMs)])) as FinishState;
  }

  async release(sink: string, alertId: string): Promise<boolean> {
    return Number(await this.releaseScript([this.key(sink, alertId)], [this.owner])) === 1;
  }

  private key(sink: string, alertId: string): string {
    return deliveryKey(this.namespace, sink, alertId);
  }
}

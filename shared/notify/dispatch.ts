// Hands each alert of a consumed batch to every sink that wants it, once per (alert id, sink):
// claim in Redis, deliver with retries, record the outcome. A sink that refused or ran out of
// attempts becomes a dead letter (reason UNDELIVERED, the sinks and why in its message) before
// its record says so, and the batch resolves, to be committed, only once every sink of every
// alert was delivered, skipped or dead-lettered.
//
// Order: transitions of one alert key (a FIRING, its escalation, its RESOLVED) are delivered
// one after another, as they were published; different keys go out concurrently, so one slow
// sink does not hold every other alert of the batch behind it.
import type { Logger } from 'pino';
import type { BatchContext } from '../bus/types.js';
import type { Alert } from '../codec/events.generated.js';
import { scrubSecrets } from '../log/logger.js';
import type { DeadLetterPublisher } from '../runtime/dead-letters.js';
import type { DecodedMessage } from '../runtime/decode.js';
import { BatchSession } from './batch-session.js';
import type { DeliveryLedger } from './delivery-ledger.js';
import type { DeliveryPolicy } from './notify-config.js';
import { wants, type AlertFilter } from './alert-filter.js';
import type { Sink } from './sink.js';
import type { NotifyMetrics } from './notify-metrics.js';
import { deliverWithRetries, worstCaseDeliveryMs } from './retry.js';

/** Dead-letter reason of an alert some sink never accepted. */
export const UNDELIVERED = 'UNDELIVERED';
/** Added to the worst-case delivery time: a claim must outlive the delivery it guards. */
const CLAIM_MARGIN_MS = 30_000;
/** Longest wait between looks at another instance's claim. */
const BUSY_POLL_MS = 250;

/** A built sink and the alerts it wants. */
export interface RoutedSink {
  sink: Sink;
  filter: AlertFilter;
}

export interface DispatcherOptions {
  sinks: readonly RoutedSink[];
  policy: DeliveryPolicy;
  ledger: DeliveryLedger;
  metrics: NotifyMetrics;
  deadLetters: DeadLetterPublisher;
  logger: Logger;
  /** Alert keys delivered at once within a batch. Default 8. */
  concurrency?: number;
}

type SinkResult = { failed: false } | { failed: true; sink: string; reason: string };

export class AlertDispatcher {
  private readonly claimTtlMs: number;

  constructor(private readonly options: DispatcherOptions) {
    this.claimTtlMs = worstCaseDeliveryMs(options.policy) + CLAIM_MARGIN_MS;
  }

  /** Resolves once every alert reached every sink or a dead letter; throws to leave the batch uncommitted. */
  async dispatch(alerts: readonly DecodedMessage<'alert'>[], ctx: BatchContext): Promise<void> {
    if (alerts.length === 0) return;
    const session = new BatchSession(ctx);
    const groups = [...groupByKey(alerts).values()];
    const failures: unknown[] = [];
    const worker = async (): Promise<void> => {
      for (let group = groups.shift(); group; group = groups.shift()) {
        try {
          for (const item of group) await this.deliverAlert(item, session);
        } catch (error) {
          failures.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, groups.length) }, worker));
    const aborted = session.close();
    if (aborted !== undefined) throw aborted;
    if (failures.length > 0) throw failures[0];
  }

  private async deliverAlert({ message, event: alert }: DecodedMessage<'alert'>, session: BatchSession): Promise<void> {
    const results = await Promise.all(this.options.sinks.map((configured) => this.deliverToSink(configured, alert, session)));
    const failed = results.filter((r): r is Extract<SinkResult, { failed: true }> => r.failed);
    if (failed.length === 0) return;
    const { deadLetters, ledger, metrics, policy } = this.options;
    const detail = failed.map((f) => `sink ${f.sink}: ${f.reason}`).join('; ');
    // The letter first: a crash between the two redelivers the alert (and may repeat the
    // letter, under the same key), never records a dead sink without its letter.
    await deadLetters.publish([{ message, error: { reason: UNDELIVERED, message: `alert ${alert.id} (${alert.status}) not delivered: ${detail}` } }]);
    for (const f of failed) {
      await ledger.finish(f.sink, alert.id, 'dead', policy.recordTtlMs);
      metrics.deliveries.inc({ sink: f.sink, outcome: 'dead_lettered' });
    }
  }

  private async deliverToSink({ sink, filter }: RoutedSink, alert: Alert, session: BatchSession): Promise<SinkResult> {
    const { ledger, metrics, policy, logger } = this.options;
    if (!wants(filter, alert)) {
      metrics.deliveries.inc({ sink: sink.name, outcome: 'filtered' });
      return { failed: false };
    }
    for (;;) {
      const claim = await ledger.claim(sink.name, alert.id, this.claimTtlMs);
      if (claim.state === 'claimed') break;
      if (claim.state === 'busy') {
        // Another instance is delivering it (a rebalance handed the partition over mid-batch).
        await session.sleep(Math.max(10, Math.min(BUSY_POLL_MS, claim.expiresInMs)));
        continue;
      }
      metrics.deliveries.inc({ sink: sink.name, outcome: 'duplicate' });
      return { failed: false };
    }
    const log = logger.child({ sink: sink.name, alert: alert.id, model: alert.model, status: alert.status });
    const endTimer = metrics.deliverySeconds.startTimer({ sink: sink.name });
    let result;
    try {
      result = await deliverWithRetries(sink, alert, policy, session.signal, {
        wait: (ms) => session.sleep(ms),
        onRetry: (attempt, error, delayMs) => {
          metrics.retries.inc({ sink: sink.name });
          log.warn({ attempt, delayMs, error: scrubSecrets(error.message) }, 'delivery failed; retrying');
        },
      });
    } catch (error) {
      // Stopping: give the claim back so the partition's next owner delivers without waiting for it to expire.
      await ledger.release(sink.name, alert.id).catch((releaseError: unknown) => log.warn({ err: releaseError }, 'could not release the delivery claim'));
      throw error;
    }
    if (!result.delivered) {
      endTimer({ outcome: 'dead_lettered' });
      const reason = scrubSecrets(result.reason);
      log.error({ attempts: result.attempts, permanent: result.permanent, reason }, 'delivery failed for good; dead-lettering');
      return { failed: true, sink: sink.name, reason };
    }
    endTimer({ outcome: 'delivered' });
    const held = await ledger.finish(sink.name, alert.id, 'delivered', policy.recordTtlMs);
    metrics.deliveries.inc({ sink: sink.name, outcome: 'delivered' });
    if (held === 'lost') {
      log.warn({ claimTtlMs: this.claimTtlMs }, 'the delivery claim expired before the delivery ended: another instance may have delivered too');
    }
    log.info({ attempts: result.attempts }, 'alert delivered');
    return { failed: false };
  }
}

function groupByKey(alerts: readonly DecodedMessage<'alert'>[]): Map<string, DecodedMessage<'alert'>[]> {
  const byKey = new Map<string, DecodedMessage<'alert'>[]>();
  for (const item of alerts) {
    const group = byKey.get(item.event.key);
    if (group) group.push(item);
    else byKey.set(item.event.key, [item]);
  }
  return byKey;
}

// The notifier as a runService definition: one consumer group on the alerts topic (instances
// share its partitions), each batch decoded (malformed alerts dead-lettered by
// decodeOrDeadLetter) and dispatched to the configured sinks (shared/notify/). The batch, and
// so the offset, commits only after every sink delivered or dead-lettered. Distributed only:
// the delivery records that make each (alert, sink) happen once live in Redis.
import { hostname } from 'node:os';
import { DeliveryLedger } from '../notify/delivery-ledger.js';
import { AlertDispatcher } from '../notify/dispatch.js';
import type { NotifyConfig } from '../notify/notify-config.js';
import { createNotifyMetrics } from '../notify/notify-metrics.js';
import { redisSinkMemory } from '../notify/redis-sink-memory.js';
import { runService, type RunServiceOptions, type ServiceHandle } from '../runtime/run-service.js';
import { defaultGroupId } from './services.js';

export const NOTIFIER_GROUP = 'notifier';

export type NotifierServiceOptions = Omit<RunServiceOptions, 'name' | 'subscriptions'> & {
  notify: NotifyConfig;
  /** Overrides the consumer group (DW_GROUP_ID; tests run independent notifiers on one broker). */
  groupId?: string;
  /** Alert keys delivered at once per batch; default 8. */
  concurrency?: number;
};

export function startNotifierService(options: NotifierServiceOptions): Promise<ServiceHandle> {
  const { notify } = options;
  const groupId = options.groupId ?? defaultGroupId(options.config.topics.prefix, NOTIFIER_GROUP);
  const owner = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  return runService({
    ...options,
    name: 'notifier',
    subscriptions: (service) => {
      if (service.store.mode !== 'distributed') {
        throw new TypeError('the notifier runs distributed only: its delivery records live in Redis');
      }
      const { redis } = service.store;
      const namespace = service.config.topics.prefix;
      const dispatcher = new AlertDispatcher({
        sinks: notify.sinks.map((configured) => ({ sink: configured.create(redisSinkMemory(redis, namespace, configured.name)), filter: configured.filter })),
        policy: notify.delivery,
        ledger: new DeliveryLedger(redis, namespace, owner),
        metrics: createNotifyMetrics(service.metrics.registry),
        deadLetters: service.deadLetters,
        logger: service.logger,
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      });
      service.logger.info(
        { sinks: notify.sinks.map(({ name, kind, filter }) => ({ name, kind, ...filter })), startFrom: notify.startFrom },
        'notification sinks configured',
      );
      return [
        {
          groupId,
          topics: [service.topics.alerts],
          fromBeginning: notify.startFrom === 'earliest',
          handler: async (batch, ctx) => dispatcher.dispatch(await service.decodeOrDeadLetter(batch, 'alert'), ctx),
        },
      ];
    },
  });
}

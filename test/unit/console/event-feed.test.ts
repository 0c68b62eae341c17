// The feed's handling of bad input, on the embedded bus: skipped, counted per reason, logged once
// per topic and reason, and the good events around it still applied.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import { Codec } from '../../../shared/codec/index.js';
import { ConsoleHistory } from '../../../shared/console/console-history.js';
import { createConsoleMetrics } from '../../../shared/console/console-metrics.js';
import { EventFeed } from '../../../shared/console/event-feed.js';
import { topicNames, topicSpecs } from '../../../shared/topics.js';
import { snapshotAt } from '../../support/console-events.js';

describe('console feed: malformed messages', () => {
  it('skips them, counts each, logs one line per topic and reason, and keeps applying the rest', async () => {
    const lines: { msg: string; reason?: string }[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
    const bus = new MemoryBus();
    const topics = topicNames('t.');
    await bus.ensureTopics(topicSpecs(topics, 2));
    const codec = new Codec();
    const now = Date.now();
    const good = (end: number) => {
      const e = codec.encode('metricsSnapshot', snapshotAt('m', '1', '5m', end));
      return { key: 'm', value: e.value, headers: e.headers };
    };
    const header = good(now).headers;
    const history = new ConsoleHistory({ historyMs: 3_600_000, maxSnapshotsPerSeries: 10, maxAlerts: 10, maxAlertHistory: 10, maxIncidents: 10 });
    const metrics = createConsoleMetrics(() => history.sizes(), { processMetrics: false });
    const feed = new EventFeed({ bus, topics, codec, history, metrics, logger, groupId: 'g', onEvent: () => {} });
    await bus.publish(topics.metrics, [good(now - 3_000), { key: 'm', value: Buffer.from('no schema header') }]);
    await feed.start();
    await bus.publish(topics.metrics, [
      { key: 'm', value: Buffer.from('again no header') },
      { key: 'm', value: Buffer.from([0x02]), headers: header },
      good(now - 1_000),
      { key: 'm', value: Buffer.from([0x04]), headers: header },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await feed.stop();
    await bus.close();

    expect(history.windows('m', '5m').map((s) => s.end)).toEqual([now - 3_000, now - 1_000]);
    const counted = (await metrics.malformed.get()).values.map((v) => [v.labels.reason, v.value]);
    expect(counted).toHaveLength(2);
    expect(counted.reduce((sum, [, n]) => sum + Number(n), 0)).toBe(4);
    const logged = lines.filter((l) => l.msg.startsWith('skipped a message of t.metrics'));
    expect(logged.map((l) => l.reason).sort()).toEqual(counted.map(([reason]) => reason).sort());
  });
});

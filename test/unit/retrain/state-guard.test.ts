// Issue 9, Redis loss and fencing floor, in the retrainer's own logic (in-memory twins, a
// stand-in for RedisProgress): the scheduler takes a lock above the models topic's floor and
// nothing once the guard says Redis lost its data; a job that sees the loss before a model
// event publishes none and writes nothing more to the state store.
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import { Codec, type Incident, type IncidentTrigger } from '../../../shared/codec/index.js';
import { parseMonitoringConfig, resolveModelConfig } from '../../../shared/config/monitoring-config.js';
import { LocalModelStore } from '../../../shared/models/local-model-store.js';
import { MemoryIncidentStore } from '../../../shared/retrain/memory-incident-store.js';
import { MemoryRetrainLocks } from '../../../shared/retrain/memory-retrain-locks.js';
import { MemoryRetrainQueue } from '../../../shared/retrain/memory-retrain-queue.js';
import { runRetrain, type RetrainRequest, type StateGuard } from '../../../shared/retrain/retrain-job.js';
import { SINGLE_ATTEMPT } from '../../../shared/retrain/retry-policy.js';
import { RetrainScheduler } from '../../../shared/retrain/scheduler.js';
import { RedisLostError } from '../../../shared/runtime/redis-progress.js';
import { MemoryKeyspace } from '../../../shared/store/memory-store.js';
import { topicNames, topicSpecs } from '../../../shared/topics.js';

const logger = pino({ level: 'silent' });
const codec = new Codec();
const MANUAL: IncidentTrigger = { alertId: null, kind: 'MANUAL', severity: null, metric: null, feature: null, value: null, threshold: null, windowStart: null, windowEnd: null };

/** RedisProgress's contract as the retrainer uses it: the `failAt`-th check finds the loss. */
class FakeGuard implements StateGuard {
  lost: string | null = null;
  checks = 0;
  constructor(private readonly failAt = Infinity) {}
  async check(): Promise<void> {
    this.checks += 1;
    if (this.lost === null && this.checks >= this.failAt) this.lost = 'Redis lost the retrain state: its epoch key vanished';
    if (this.lost !== null) throw new RedisLostError(this.lost);
  }
}

function schedulerWith(options: { guard?: StateGuard; floor?: number } = {}) {
  const keyspace = new MemoryKeyspace();
  const queue = new MemoryRetrainQueue(keyspace, 'p.');
  const locks = new MemoryRetrainLocks(keyspace);
  const runs: RetrainRequest[] = [];
  const fencingFloor = vi.fn(async () => options.floor ?? 0);
  const scheduler = new RetrainScheduler({
    queue,
    locks,
    owner: 'me',
    lockTtlMs: 10_000,
    tickMs: 1_000,
    logger,
    fencingFloor,
    ...(options.guard ? { guard: options.guard } : {}),
    run: async (request) => {
      runs.push(request);
      return { incident: { status: 'REJECTED' } as Incident, retryAt: null };
    },
  });
  const trigger = (model: string) => queue.record(model, MANUAL, { debounceMs: 0, cooldownMs: 0, now: Date.now(), manual: true });
  return { queue, locks, runs, fencingFloor, scheduler, trigger };
}

describe('scheduler: fencing floor', () => {
  it('takes the lock above the floor the models topic gives', async () => {
    const s = schedulerWith({ floor: 41 });
    await s.trigger('m');
    await s.scheduler.tick();
    expect(s.fencingFloor).toHaveBeenCalledWith('m');
    expect(s.runs.map((r) => r.lock.token)).toEqual([42]);
    expect(await s.queue.peek('m'), 'the run cleared its trigger').toBeNull();
  });

  it('reads no floor while another instance holds the lock', async () => {
    const s = schedulerWith({ floor: 41 });
    await s.trigger('m');
    await s.locks.acquire('m', 'other', 10_000);
    await s.scheduler.tick();
    expect(s.fencingFloor).not.toHaveBeenCalled();
    expect(s.runs).toEqual([]);
  });
});

describe('scheduler: Redis lost', () => {
  it('takes no lock and runs nothing once the guard found the loss, and stays quiet after', async () => {
    const guard = new FakeGuard(1);
    const s = schedulerWith({ guard });
    await s.trigger('m');
    await expect(s.scheduler.tick()).rejects.toThrow(RedisLostError);
    // Known lost: the next ticks return at once, without asking Redis again.
    await s.scheduler.tick();
    expect(guard.checks).toBe(1);
    expect(s.runs).toEqual([]);
    expect(s.fencingFloor).not.toHaveBeenCalled();
    expect(await s.locks.held('m')).toBe(false);
  });

  it('checks again after reading the floor, before the lock', async () => {
    const guard = new FakeGuard(2);
    const s = schedulerWith({ guard });
    await s.trigger('m');
    await expect(s.scheduler.tick()).rejects.toThrow(RedisLostError);
    expect(s.fencingFloor).toHaveBeenCalledTimes(1);
    expect(await s.locks.held('m')).toBe(false);
    expect(s.runs).toEqual([]);
  });
});

describe('retrain job: Redis lost', () => {
  async function rejectRun(guard: FakeGuard) {
    const bus = new MemoryBus();
    const topics = topicNames('guard.');
    await bus.ensureTopics(topicSpecs(topics, 1));
    const incidents = new MemoryIncidentStore(new MemoryKeyspace(), 'guard.');
    const monitoring = parseMonitoringConfig({});
    const result = await runRetrain(
      {
        bus,
        codec,
        topics,
        store: new LocalModelStore('/nonexistent-model-store'),
        incidents,
        logger,
        modelConfig: (model) => resolveModelConfig(monitoring, model),
        champion: async () => null,
        train: () => Promise.reject(new Error('not reached: an unknown model is rejected before training')),
        guard,
      },
      { model: 'ghost', triggers: [MANUAL], manual: true, lock: { token: 7, holds: async () => true }, attempt: SINGLE_ATTEMPT },
    );
    const read = async (topic: string, type: 'model' | 'incident') => {
      const out: unknown[] = [];
      await bus.readFrom(topic, 0, (messages) => {
        for (const m of messages) out.push(codec.decode(type, m.value, m.headers));
      });
      return out;
    };
    return { incident: result.incident, incidents, modelEvents: await read(topics.models, 'model'), incidentEvents: (await read(topics.incidents, 'incident')) as Incident[] };
  }

  it('with Redis intact, an unknown model gives a REJECTED model event (the control)', async () => {
    const run = await rejectRun(new FakeGuard());
    expect(run.modelEvents).toMatchObject([{ status: 'REJECTED', fencingToken: 7 }]);
    expect(run.incident.status).toBe('REJECTED');
  });

  it('a loss found before the model event: no model event, no write to the store after it, the incidents topic says FAILED and why', async () => {
    // Check 1: the TRAINING save; check 2: the fencing check before the REJECTED event.
    const run = await rejectRun(new FakeGuard(2));
    expect(run.modelEvents).toEqual([]);
    expect(run.incident).toMatchObject({ status: 'FAILED', reason: 'Redis lost the retrain state: its epoch key vanished' });
    expect(run.incidentEvents.map((i) => i.status)).toEqual(['TRAINING', 'FAILED']);
    expect(run.incidentEvents.at(-1)!.reason).toBe('Redis lost the retrain state: its epoch key vanished');
    // The store keeps what it had before the loss: nothing was written into the lost Redis.
    expect((await run.incidents.list('ghost')).map((i) => i.status)).toEqual(['TRAINING']);
  });
});

// Every model event goes out through here, so its key (what survives compaction) is always
// the one modelEventKey decides, whoever publishes: the retrainer, the bootstrap, a rollback.
import type { EventBus } from '../bus/types.js';
import type { Codec } from '../codec/codec.js';
import type { ModelEventInput } from '../codec/events.generated.js';
import { modelEventKey } from './model-event-key.js';

export async function publishModelEvent(bus: EventBus, codec: Codec, topic: string, event: ModelEventInput): Promise<void> {
  const encoded = codec.encode('model', event);
  await bus.publish(topic, [{ key: modelEventKey(event), value: encoded.value, headers: encoded.headers }]);
}

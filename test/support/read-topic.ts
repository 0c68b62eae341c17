// Every event on a topic as of now, decoded: what a test reads back after a command published.
import type { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec, type EventMap, type EventType } from '../../shared/codec/index.js';

const codec = new Codec();

export async function readTopic<K extends EventType>(bus: KafkaBus, topic: string, type: K): Promise<EventMap[K][]> {
  const events: EventMap[K][] = [];
  await bus.readFrom(topic, 0, (messages) => {
    for (const message of messages) events.push(codec.decode(type, message.value, message.headers));
  });
  return events;
}

export { DriftwatchClient, RecordError } from './client.js';
export type { ClientOptions, RetryInfo } from './client.js';
export { toLabelEvent, toPredictionEvent } from './records.js';
export type { FeatureValue, LabelRecord, PredictionRecord } from './records.js';
export { AlertSubscriber, alertFilter } from './alert-subscriber.js';
export type { AlertFilter, AlertSubscriberOptions, AlertSubscriberStats } from './alert-subscriber.js';

// The registry of sink kinds. A new kind is one file (a SinkKind beside these) and one line here.
import { alertmanagerSinkKind } from './alertmanager-sink.js';
import type { SinkKind } from './sink-kind.js';
import { slackSinkKind } from './slack-sink.js';
import { webhookSinkKind } from './webhook-sink.js';

export const SINK_KINDS: readonly SinkKind[] = [
  webhookSinkKind,
  slackSinkKind,
  alertmanagerSinkKind,
];

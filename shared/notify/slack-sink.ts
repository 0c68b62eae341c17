// Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat accept `{ text, blocks }`):
// a message a person reads at a glance. `text` is the whole story in one line (notifications,
// clients without blocks); the blocks lay the same facts out as fields.
import { z } from 'zod';
import { formatNumber, formatWindowRange } from '../alerts/alert-event.js';
import type { Alert } from '../codec/events.generated.js';
import { postJson } from './http-post.js';
import { secretUrl } from './secret-value.js';
import type { Sink } from './sink.js';
import type { SinkKind } from './sink-kind.js';

const settings = z.strictObject({ url: secretUrl });

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

type SlackText = { type: 'mrkdwn'; text: string };
export type SlackBlock = { type: 'section'; text: SlackText; fields?: SlackText[] } | { type: 'context'; elements: SlackText[] };

const ICONS: Record<string, string> = {
  RESOLVED: ':large_green_circle:',
  CRITICAL: ':red_circle:',
  WARNING: ':large_orange_circle:',
  INFO: ':large_blue_circle:',
};

export function slackMessage(alert: Alert): SlackMessage {
  const icon = alert.status === 'RESOLVED' ? ICONS.RESOLVED : ICONS[alert.severity];
  const what = alert.feature === null ? alert.metric : `${alert.metric} of ${alert.feature}`;
  const window = `${formatWindowRange(alert.window.start, alert.window.end)}, ${alert.window.count.toLocaleString('en-US')} events`;
  const valueVsThreshold = `${formatNumber(alert.value)} (threshold ${formatNumber(alert.threshold)})`;
  const text =
    `${icon} [${alert.status}] ${alert.severity} ${alert.model} v${alert.modelVersion} ${alert.kind}: ` +
    `${what} ${valueVsThreshold}, window ${window}`;
  const field = (label: string, value: string): SlackText => ({ type: 'mrkdwn', text: `*${label}*\n${escape(value)}` });
  const blocks: SlackBlock[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `${icon} *${alert.status}* · *${alert.severity}* · ${escape(alert.model)} v${escape(alert.modelVersion)} · ${alert.kind}\n${escape(alert.message)}` },
      fields: [
        field('Model', `${alert.model} v${alert.modelVersion}`),
        field('Kind', alert.kind),
        field('Status', alert.status),
        field('Severity', alert.severity),
        field('Metric', what),
        field('Value', valueVsThreshold),
        field('Window', window),
        ...(alert.detector ? [field('Detector', alert.detector)] : []),
      ],
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `driftwatch alert ${escape(alert.id)}` }] },
  ];
  return { text: escape(text), blocks };
}

/** Slack's mrkdwn treats &, < and > as markup (links, mentions): a model name must not become one. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const slackSinkKind: SinkKind<typeof settings> = {
  kind: 'slack',
  settings,
  fromEnv: (env) => (env.DW_NOTIFY_SLACK_URL ? { url: env.DW_NOTIFY_SLACK_URL } : undefined),
  create: (name, { url }, { timeoutMs }): Sink => ({
    name,
    kind: 'slack',
    deliver: (alert, signal) => postJson(url, slackMessage(alert), { timeoutMs, signal }),
  }),
};

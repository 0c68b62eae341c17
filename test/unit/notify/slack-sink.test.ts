import { describe, expect, it } from 'vitest';
import { slackMessage } from '../../../shared/notify/slack-sink.js';
import { sampleAlert } from './sample-alert.js';

describe('Slack message', () => {
  it('says model, version, kind, status, severity, metric and feature, value vs threshold and the window in its text', () => {
    const message = slackMessage(sampleAlert());
    expect(message.text).toBe(
      ':large_orange_circle: [FIRING] WARNING churn v3 DATA_DRIFT: psi of tenure 0.31 (threshold 0.10), window 2023-11-14 22:13:20–22:18:20 UTC, 42 events',
    );
  });

  it('lays the same facts out as block fields, with the alert message and id', () => {
    const [section, context] = slackMessage(sampleAlert({ detector: 'adwin' })).blocks;
    expect(section).toMatchObject({ type: 'section' });
    if (section?.type !== 'section') throw new Error('expected a section block');
    expect(section.text.text).toBe(':large_orange_circle: *FIRING* · *WARNING* · churn v3 · DATA_DRIFT\ntenure drifted');
    expect(section.fields?.map((f) => f.text)).toEqual([
      '*Model*\nchurn v3',
      '*Kind*\nDATA_DRIFT',
      '*Status*\nFIRING',
      '*Severity*\nWARNING',
      '*Metric*\npsi of tenure',
      '*Value*\n0.31 (threshold 0.10)',
      '*Window*\n2023-11-14 22:13:20–22:18:20 UTC, 42 events',
      '*Detector*\nadwin',
    ]);
    expect(context).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'driftwatch alert a-1' }] });
  });

  it('marks a resolved alert green and a critical one red, and names a metric without a feature alone', () => {
    expect(slackMessage(sampleAlert({ status: 'RESOLVED' })).text).toMatch(/^:large_green_circle: \[RESOLVED\] WARNING /);
    const critical = slackMessage(sampleAlert({ severity: 'CRITICAL', kind: 'PERFORMANCE', metric: 'accuracy', feature: null, value: 0.61, threshold: 0.8 }));
    expect(critical.text).toMatch(/^:red_circle: \[FIRING\] CRITICAL churn v3 PERFORMANCE: accuracy 0.61 \(threshold 0.80\), /);
  });

  it('escapes what Slack would read as markup, so a name cannot become a link or a mention', () => {
    const message = slackMessage(sampleAlert({ model: 'a<b>&c', message: '<!channel> drift' }));
    expect(message.text).toContain('a&lt;b&gt;&amp;c');
    expect(JSON.stringify(message.blocks)).not.toContain('<!channel>');
    expect(JSON.stringify(message.blocks)).toContain('&lt;!channel&gt; drift');
  });
});

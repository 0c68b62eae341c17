// One alert transition for the notification unit tests, from the shared sample events.
import type { Alert } from '../../../shared/codec/events.generated.js';
import { SAMPLE_EVENTS } from '../../support/sample-events.js';

export function sampleAlert(overrides: Partial<Alert> = {}): Alert {
  return { ...(SAMPLE_EVENTS.alert as Alert), ...overrides };
}

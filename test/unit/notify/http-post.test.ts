import { describe, expect, it } from 'vitest';
import { retryAfterMs, statusOutcome } from '../../../shared/notify/http-post.js';

describe('HTTP status of a delivery', () => {
  it('is delivered on 2xx', () => {
    for (const status of [200, 201, 202, 204]) expect(statusOutcome(status)).toBe('delivered');
  });

  it('is retried on 408, 425, 429 and 5xx: the destination is busy or down for now', () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504]) expect(statusOutcome(status)).toBe('retryable');
  });

  it('is permanent on other 4xx and on redirects: the same request would be refused again', () => {
    for (const status of [400, 401, 403, 404, 410, 413, 422, 301, 302, 307]) expect(statusOutcome(status)).toBe('permanent');
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    expect(retryAfterMs('3')).toBe(3_000);
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs('-1')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { securityOptions } from '../../../shared/bus/kafka-bus.js';

describe('securityOptions', () => {
  it('passes TLS and SASL to kafkajs only when configured', () => {
    expect(securityOptions(undefined)).toEqual({});
    expect(securityOptions({ ssl: false })).toEqual({});
    expect(securityOptions({ ssl: true })).toEqual({ ssl: true });
    const sasl = { mechanism: 'scram-sha-512' as const, username: 'u', password: 'p' };
    expect(securityOptions({ ssl: true, sasl })).toEqual({ ssl: true, sasl });
  });
});

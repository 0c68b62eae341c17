// The message of the ConfigError `fn` throws; fails the test when it throws nothing or another error.
import { expect } from 'vitest';
import { ConfigError } from '../../shared/config/runtime-config.js';

export function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

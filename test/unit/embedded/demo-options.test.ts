import { describe, expect, it } from 'vitest';
import { DemoOptionError, readDemoOptions } from '../../../services/embedded/demo.js';

describe('npm start: the dashboard options', () => {
  it('keeps the dashboard serving by default on a terminal only; DEMO_SERVE and the flags force it', () => {
    expect(readDemoOptions([], {}, true).serve).toBe(true);
    expect(readDemoOptions([], {}, false).serve).toBe(false);
    expect(readDemoOptions([], { DEMO_SERVE: '0' }, true).serve).toBe(false);
    expect(readDemoOptions([], { DEMO_SERVE: '1' }, false).serve).toBe(true);
    expect(readDemoOptions(['--serve'], { DEMO_SERVE: '0' }, false).serve).toBe(true);
    expect(readDemoOptions(['--no-serve'], { DEMO_SERVE: '1' }, true).serve).toBe(false);
    expect(() => readDemoOptions([], { DEMO_SERVE: 'maybe' })).toThrow(DemoOptionError);
    expect(() => readDemoOptions(['--serve', '--no-serve'], {})).toThrow(/contradict/);
  });

  it('takes the dashboard port from DW_CONSOLE_PORT, falling back to a free port only when it was not chosen', () => {
    const byDefault = readDemoOptions([], {});
    expect(byDefault.console).toMatchObject({ config: { port: 8090, host: '127.0.0.1', token: null }, fallbackToAnyPort: true });
    expect(readDemoOptions([], { DW_CONSOLE_PORT: '0' }).console).toMatchObject({ config: { port: 0 }, fallbackToAnyPort: false });
    expect(() => readDemoOptions([], { DW_CONSOLE_PORT: 'eighty' })).toThrow(/DW_CONSOLE_PORT/);
  });
});

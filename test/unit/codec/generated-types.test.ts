import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderEventTypes } from '../../../scripts/gen-types.js';

describe('events.generated.ts', () => {
  it('is what scripts/gen-types.ts makes of schemas/ (run `npx tsx scripts/gen-types.ts` if not)', () => {
    const committed = readFileSync(new URL('../../../shared/codec/events.generated.ts', import.meta.url), 'utf8');
    expect(committed).toBe(renderEventTypes());
  });
});

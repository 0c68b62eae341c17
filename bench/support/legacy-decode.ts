// decode() as it was before the fused scan (kept for bench/decode.bench.ts's "before"
// column): the same header checks, then four separate passes: the length guard over the
// bytes, avsc's full read, the finite check over the value, and every validation rule with
// the numeric-feature rule rendering each feature's name as it went. Bad input only throws
// a plain Error here: the benchmark feeds valid events.
import type { Type } from 'avsc';
import { Codec, EVENT_TYPES, SCHEMA_HEADER, MAX_ABS_NUMBER, type EventMap, type EventType } from '../../shared/codec/index.js';
import { compileFiniteChecker, type FiniteChecker } from '../../shared/codec/finite-check.js';
import type { Scanner } from '../../shared/codec/length-guard.js';
import { compileReferenceScanner } from '../../test/support/reference-scanner.js';
import { validateEvent } from '../../shared/codec/validate.js';

/** The numeric-feature rule as it was: the message prefix built for every feature. */
function legacyNumericMap(values: Record<string, number>): string | null {
  for (const name in values) {
    const what = `numeric feature ${JSON.stringify(name)}`;
    const value = values[name]!;
    const problem = Math.abs(value) > MAX_ABS_NUMBER ? `${what} ${value} is beyond ±${MAX_ABS_NUMBER}` : null;
    if (problem !== null) return problem;
  }
  return null;
}

interface Legacy {
  type: EventType;
  avsc: Type;
  /** The scan as it was then: the closure walk the generated one replaced (test/support keeps it as the tests' oracle). */
  guard: Scanner;
  finite: FiniteChecker;
}

/**
 * One decoder for every event type, as the Codec is, so its call sites see every type as
 * the Codec's do (a decoder per type would be monomorphic, and faster than the code it stands for).
 */
export class LegacyDecoder {
  private readonly readers = new Map<string, Legacy>();

  constructor(
    private readonly codec: Codec,
    private readonly maxEventBytes = 1024 * 1024,
  ) {
    for (const type of EVENT_TYPES) {
      const avsc = codec.typeOf(type);
      this.readers.set(avsc.fingerprint('md5').toString('latin1'), { type, avsc, guard: compileReferenceScanner(avsc), finite: compileFiniteChecker(avsc) });
    }
  }

  decode<K extends EventType>(expected: K, bytes: Buffer, headers: Record<string, Buffer | string | undefined>): EventMap[K] {
    if (bytes.length === 0 || bytes.length > this.maxEventBytes) throw new Error('size');
    const header = headers[SCHEMA_HEADER];
    if (header === undefined) throw new Error('no header');
    const fingerprint = typeof header === 'string' ? Buffer.from(header, 'latin1') : header;
    const reader = this.readers.get(fingerprint.toString('latin1'));
    if (reader === undefined || reader.type !== expected) throw new Error('schema');
    if (reader.guard(bytes, 0).pos !== bytes.length) throw new Error('trailing bytes');
    const value = reader.avsc.fromBuffer(bytes) as EventMap[K];
    if (reader.finite(value) !== null) throw new Error('non-finite');
    // The rules other than magnitude, then the magnitude rules as they were (the feature
    // rule's cost was most of validation's).
    if (validateEvent(expected, value, this.codec.validation, true) !== null) throw new Error('invalid');
    if (expected === 'prediction') {
      const p = value as EventMap['prediction'];
      if ((p.predictedValue !== null && Math.abs(p.predictedValue) > MAX_ABS_NUMBER) || legacyNumericMap(p.numericFeatures) !== null) throw new Error('invalid');
    } else if (expected === 'label') {
      const l = value as EventMap['label'];
      if (l.trueValue !== null && Math.abs(l.trueValue) > MAX_ABS_NUMBER) throw new Error('invalid');
    }
    return value;
  }
}

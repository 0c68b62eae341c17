// Avro's double admits NaN and ±Infinity; no event of ours does (a missing feature is
// listed, not NaN), so every double/float in a value must be finite. The checker is
// compiled once per schema by walking the avsc type tree, so a check costs one pass over
// the numbers actually present rather than a generic deep walk.
import type { Type } from 'avsc';
import type { AvscTypeLike } from './avsc-type.js';

/** Returns the path of the first non-finite number, or null. */
export type FiniteChecker = (value: unknown) => string | null;

const ALWAYS_FINE: FiniteChecker = () => null;

export function compileFiniteChecker(type: Type): FiniteChecker {
  return compile(type as unknown as AvscTypeLike, new Map());
}

function compile(type: AvscTypeLike, seen: Map<AvscTypeLike, FiniteChecker>): FiniteChecker {
  const cached = seen.get(type);
  if (cached) return cached;
  switch (type.typeName) {
    case 'double':
    case 'float':
      return (v) => (typeof v === 'number' && !Number.isFinite(v) ? '' : null);
    case 'record':
    case 'error': {
      // Recursive records: register a forwarder before compiling the fields.
      let inner: FiniteChecker = ALWAYS_FINE;
      const forward: FiniteChecker = (v) => inner(v);
      seen.set(type, forward);
      const checks = (type.fields ?? [])
        .map((f) => ({ name: f.name, check: compile(f.type, seen) }))
        .filter((c) => c.check !== ALWAYS_FINE);
      if (checks.length === 0) {
        seen.set(type, ALWAYS_FINE);
        return ALWAYS_FINE;
      }
      inner = (v) => {
        // In a union the checker sees every branch's values: null is not this record's business.
        if (v === null || typeof v !== 'object') return null;
        const record = v as Record<string, unknown>;
        for (const { name, check } of checks) {
          const bad = check(record[name]);
          if (bad !== null) return bad === '' ? name : `${name}.${bad}`;
        }
        return null;
      };
      return forward;
    }
    case 'map': {
      const check = compile(type.valuesType!, seen);
      if (check === ALWAYS_FINE) return ALWAYS_FINE;
      return (v) => {
        if (v === null || typeof v !== 'object') return null;
        for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
          const bad = check(item);
          if (bad !== null) return bad === '' ? key : `${key}.${bad}`;
        }
        return null;
      };
    }
    case 'array': {
      const check = compile(type.itemsType!, seen);
      if (check === ALWAYS_FINE) return ALWAYS_FINE;
      return (v) => {
        if (!Array.isArray(v)) return null;
        const items = v as unknown[];
        for (let i = 0; i < items.length; i++) {
          const bad = check(items[i]);
          if (bad !== null) return bad === '' ? `${i}` : `${i}.${bad}`;
        }
        return null;
      };
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const checks = (type.types ?? []).map((t) => compile(t, seen)).filter((c) => c !== ALWAYS_FINE);
      if (checks.length === 0) return ALWAYS_FINE;
      // Unwrapped unions hold the branch's value directly; a number can only be the double
      // branch, and the record/map/array checkers pass over values that are not theirs (null).
      return (v) => {
        for (const check of checks) {
          const bad = check(v);
          if (bad !== null) return bad;
        }
        return null;
      };
    }
    default:
      if (type.underlyingType) return compile(type.underlyingType, seen);
      return ALWAYS_FINE;
  }
}

// Small integers for a model's counter field names, so a batch's deltas are summed into typed
// arrays by slot (delta-accumulator.ts) and the names come back only once per batch, in
// toDeltas(). Summing into an object keyed by name cost a hashed property lookup per term,
// and boxed every fractional sum it stored.

/** The fields every model has, at fixed slots: the coverage counts, then the loss sums, then the regression sums. */
const FIXED_FIELDS = ['n', 'l', 'pn', '~ll', '~bs', '~sy', '~syy', '~sae', '~sse', '~sape', '~saez'] as const;

export type FixedField = (typeof FIXED_FIELDS)[number];

/** The slot of a field every model has. */
export function fixedSlot(field: FixedField): number {
  return FIXED_FIELDS.indexOf(field);
}

export class FieldSlots {
  private readonly names: string[] = [...FIXED_FIELDS];
  private generationValue = 0;

  /** A new slot for `name`: the caller remembers it (names are not looked up here). */
  add(name: string): number {
    this.names.push(name);
    return this.names.length - 1;
  }

  name(slot: number): string {
    const name = this.names[slot];
    if (name === undefined) throw new RangeError(`no counter field at slot ${slot}`);
    return name;
  }

  get size(): number {
    return this.names.length;
  }

  /** How many fields were added beyond the fixed ones. */
  get added(): number {
    return this.names.length - FIXED_FIELDS.length;
  }

  /** Changes at every reset: slots handed out before it name other fields after it. */
  get generation(): number {
    return this.generationValue;
  }

  /** Forgets every added field; only while no batch is being summed. */
  reset(): void {
    this.names.length = FIXED_FIELDS.length;
    this.generationValue += 1;
  }
}

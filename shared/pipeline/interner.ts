// Small integers for a model's version and class names, so the join's compact columns hold a
// number instead of a string per pending prediction.

export class Interner {
  private readonly indexes = new Map<string, number>();
  private readonly names: string[] = [];

  /** `limit`: how many names the column the indexes go to can tell apart. */
  constructor(private readonly limit: number) {}

  index(name: string): number {
    let index = this.indexes.get(name);
    if (index === undefined) {
      if (this.names.length >= this.limit) throw new RangeError(`more than ${this.limit} distinct names (${name})`);
      index = this.names.length;
      this.names.push(name);
      this.indexes.set(name, index);
    }
    return index;
  }

  name(index: number): string {
    const name = this.names[index];
    if (name === undefined) throw new RangeError(`no name interned at ${index}`);
    return name;
  }
}

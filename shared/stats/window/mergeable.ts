/**
 * Window states combine by `merge` (bucket + bucket) and, when exact reversal exists,
 * `subtract` (window − evicted bucket). Both mutate the receiver and return it so that
 * a running window total needs no allocation per bucket.
 */
export interface Mergeable<T> {
  merge(other: T): T;
  clone(): T;
}

export interface Revertible<T> extends Mergeable<T> {
  subtract(other: T): T;
}

export function isRevertible<T>(state: Mergeable<T>): state is Revertible<T> {
  return typeof (state as Partial<Revertible<T>>).subtract === 'function';
}

/**
 * Objects with optional members. Under `exactOptionalPropertyTypes` an absent member and one
 * set to `undefined` differ (and `deepEqual` tells them apart), so a value that may be
 * undefined is left out rather than written down.
 */

/** `T` with every member that may be undefined made optional instead. */
export type Compact<T> =
  & { [K in keyof T as undefined extends T[K] ? never : K]: T[K] }
  & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };

/** `values` without its undefined members. */
export function compact<T extends object>(values: T): Compact<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Compact<
    T
  >;
}

/** Stores with one method replaced, for tests that need a slow or counting database. */
import type { Store } from '../../src/store/ports.js';

/** A store with one method replaced; every other member is the store's own (bound to it). */
export function overrideStore<K extends keyof Store>(store: Store, key: K, replacement: Store[K]): Store {
  return new Proxy(store, {
    get(target, name) {
      if (name === key) return replacement;
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/** The store with its `writeBatch` waiting for `hold()` first. */
export function holdingWrites(hold: () => Promise<void>): (store: Store) => Store {
  return (store) =>
    overrideStore(store, 'writeBatch', async (writes, options) => {
      await hold();
      return store.writeBatch(writes, options);
    });
}

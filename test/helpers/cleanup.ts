/** Cleanups of one test that run last-registered first, in one hook (node:test runs `after` hooks first-registered first). */
import type { TestContext } from 'node:test';

const cleanups = new WeakMap<TestContext, Array<() => Promise<void> | void>>();

/** Registers `f` to run when `t` ends, before every cleanup registered earlier on `t`. */
export function onCleanup(t: TestContext, f: () => Promise<void> | void): void {
  let list = cleanups.get(t);
  if (!list) {
    const fresh: Array<() => Promise<void> | void> = [];
    cleanups.set(t, fresh);
    t.after(async () => {
      for (const g of fresh.reverse()) await g();
    });
    list = fresh;
  }
  list.push(f);
}

/**
 * Node's `crypto` module where the runtime has it (Node, Bun, Deno, workerd with
 * `nodejs_compat`), without a static `import 'node:crypto'`: the import graph of the core and the
 * web entries names no Node module, so they load on any runtime. Internal.
 * @module
 */
import type * as NodeCrypto from 'node:crypto'

type GetBuiltinModule = (id: string) => unknown

/**
 * `node:crypto`, or `undefined` where the runtime has none. Read once, synchronously, through
 * `process.getBuiltinModule` (Node ≥ 20.16, Bun, Deno), so that a hash on the hot path never
 * waits for a dynamic import.
 */
export const nodeCrypto: typeof NodeCrypto | undefined = (() => {
  try {
    const get = (globalThis as { process?: { getBuiltinModule?: GetBuiltinModule } }).process
      ?.getBuiltinModule
    const loaded = typeof get === 'function' ? get('node:crypto') : undefined
    return typeof loaded === 'object' && loaded !== null ? (loaded as typeof NodeCrypto) : undefined
  } catch {
    // A runtime that refuses the lookup has no usable node:crypto for us.
    return undefined
  }
})()

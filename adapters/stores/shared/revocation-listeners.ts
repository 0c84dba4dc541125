/**
 * The `onRevoke` listeners of a store, and their fan-out. Internal: not exported from the package.
 * @module
 */

/** Listeners of revoked digests; a listener that throws is reported and the others still run. */
export class RevocationListeners {
  readonly #listeners = new Set<(hash: string) => void>()
  readonly #onError: (error: unknown) => void

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError
  }

  get size(): number {
    return this.#listeners.size
  }

  add(listener: (hash: string) => void): void {
    this.#listeners.add(listener)
  }

  delete(listener: (hash: string) => void): void {
    this.#listeners.delete(listener)
  }

  clear(): void {
    this.#listeners.clear()
  }

  /** Calls every listener (a copy of the set: one may unsubscribe while it runs). */
  emit(hash: string): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(hash)
      } catch (error) {
        this.#onError(error)
      }
    }
  }
}

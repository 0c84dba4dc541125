/**
 * Coalescing the limit checks of one event-loop turn into one script call (one round trip, one
 * socket write): the cost of a Redis charge is mostly the command's write and the client's
 * per-command work, not the script (docs/benchmarks.md, "Limits cost").
 * @module
 */
import type { LimitOutcome } from '../../../src/index.js'
import { outcomeOf, type ReplyShape } from './limit-reply.js'

/** Sends one batch: `keys[i]` and `args[i]` are the i-th check; answers one reply per check. */
export type SendBatch = (keys: string[], args: string[]) => Promise<unknown>

// A queued check; it is also the shape its answer is read against (its own `rate` and `credits`,
// copied from the check: one object per check, not two).
interface Pending extends ReplyShape {
  readonly key: string
  readonly args: string
  readonly resolve: (outcome: LimitOutcome) => void
  readonly reject: (error: unknown) => void
}

/**
 * Collects checks until the end of the current turn (`setImmediate`: after every I/O callback
 * of this poll phase, so requests parsed together are charged together) or until `maxBatch` are
 * pending, then sends them at once. Each caller gets its own check's outcome; a batch that fails
 * as a whole (connection, timeout, bad reply) rejects every check in it with that error, as a
 * single check failed before. With `maxBatch` 1 each check is sent at once, in its own call.
 */
export class ChargeBatch {
  readonly #send: SendBatch
  readonly #maxBatch: number
  #pending: Pending[] = []
  #scheduled = false
  readonly #onTurnEnd = (): void => {
    this.#scheduled = false
    this.#flush()
  }

  constructor(send: SendBatch, maxBatch: number) {
    this.#send = send
    this.#maxBatch = maxBatch
  }

  /**
   * Queues one check (`shape`: the limits its answer is read against, copied); resolves with its
   * outcome once its batch is answered.
   */
  add(key: string, args: string, shape: ReplyShape): Promise<LimitOutcome> {
    const { rate, credits } = shape
    return new Promise<LimitOutcome>((resolve, reject) => {
      this.#pending.push({ key, args, rate, credits, resolve, reject })
      if (this.#pending.length >= this.#maxBatch) this.#flush()
      else if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(this.#onTurnEnd)
      }
    })
  }

  #flush(): void {
    const batch = this.#pending
    if (batch.length === 0) return
    this.#pending = []
    const keys = batch.map((p) => p.key)
    const args = batch.map((p) => p.args)
    this.#send(keys, args).then(
      (answer) => settle(batch, answer),
      (error: unknown) => {
        for (const p of batch) p.reject(error)
      },
    )
  }
}

function settle(batch: readonly Pending[], answer: unknown): void {
  if (!Array.isArray(answer) || answer.length !== batch.length) {
    const error = new Error('limit script: expected one answer per check')
    for (const p of batch) p.reject(error)
    return
  }
  batch.forEach((p, i) => {
    try {
      p.resolve(outcomeOf(answer[i], p))
    } catch (error) {
      p.reject(error)
    }
  })
}

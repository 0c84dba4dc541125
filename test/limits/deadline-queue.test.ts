/**
 * The limiter's deadlines (src/lib/deadline-queue.ts): one timer for every pending charge, with
 * withTimeout's answers: the result in time, the timeout error after `ms`, a late result
 * dropped, and no timer left once nothing is pending.
 */
import { describe, expect, test } from 'vitest'
import { createDeadlineQueue } from '../../src/lib/deadline-queue.js'

const later = <T>(ms: number, value: T): Promise<T> =>
  new Promise((resolve) => setTimeout(() => resolve(value), ms))
const failLater = (ms: number, error: Error): Promise<never> =>
  new Promise((_, reject) => setTimeout(() => reject(error), ms))
const timedOut = (): Error => new Error('timed out')

describe('deadline queue', () => {
  test('results in time settle as they are; late ones time out, in any order of completion', async () => {
    const deadline = createDeadlineQueue(60, timedOut)
    const settled = await Promise.allSettled([
      deadline(later(5, 'a')),
      deadline(later(200, 'late')),
      deadline(failLater(10, new Error('store down'))),
      deadline(Promise.resolve('now')),
      deadline(later(30, 'b')),
      deadline(failLater(300, new Error('late failure'))),
    ])
    expect(settled).toEqual([
      { status: 'fulfilled', value: 'a' },
      { status: 'rejected', reason: new Error('timed out') },
      { status: 'rejected', reason: new Error('store down') },
      { status: 'fulfilled', value: 'now' },
      { status: 'fulfilled', value: 'b' },
      { status: 'rejected', reason: new Error('timed out') },
    ])
  })

  test('a call queued after others gets its own full deadline', async () => {
    const deadline = createDeadlineQueue(80, timedOut)
    const first = deadline(later(500, 'slow'))
    await later(50, null)
    // Queued 50 ms later: due at 130 ms, so a result at 110 ms (60 ms after queuing) is in time.
    const second = deadline(later(60, 'in time'))
    await expect(first).rejects.toThrow('timed out')
    await expect(second).resolves.toBe('in time')
  })

  test('a late rejection is swallowed (no unhandled rejection)', async () => {
    const unhandled: unknown[] = []
    const record = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', record)
    try {
      const deadline = createDeadlineQueue(10, timedOut)
      await expect(deadline(failLater(40, new Error('after the deadline')))).rejects.toThrow(
        'timed out',
      )
      await later(60, null)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', record)
    }
  })

  test('nothing pending: no timer keeps the process alive', async () => {
    const deadline = createDeadlineQueue(60_000, timedOut)
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const pending = deadline(later(5, 'x'))
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before + 2)
    await pending
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before)
  })

  test('many calls under way share one timer', async () => {
    const deadline = createDeadlineQueue(60_000, timedOut)
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const gates: ((value: number) => void)[] = []
    const calls = Array.from({ length: 3000 }, () =>
      deadline(new Promise<number>((resolve) => gates.push(resolve))),
    )
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before + 1)
    gates.forEach((open, i) => open(i))
    expect((await Promise.all(calls)).length).toBe(3000)
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before)
  })
})

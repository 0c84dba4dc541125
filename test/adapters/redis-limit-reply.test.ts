/**
 * Reading the Redis limit script's answers (adapters/stores/redis/limit-reply.ts): integers read
 * against the check's own limits into the outcome the reference algorithm gives; anything else
 * fails that check. The script's side runs in test/stores/limit-stores.test.ts on a real Redis.
 */
import { describe, expect, it } from 'vitest'
import { outcomeOf } from '../../adapters/stores/redis/limit-reply.js'

const rate = [
  { name: 'second', limit: 5, windowMs: 1_000 },
  { name: 'day', limit: 900, windowMs: 86_400_000 },
]

describe('outcomeOf', () => {
  it('an admitted check: every window remaining and reset, in the check order', () => {
    expect(
      outcomeOf([0, -1, -1, -1, 4, 1_050, 899, 86_404_320], { rate, credits: undefined }),
    ).toEqual({
      allowed: true,
      rate: [
        { name: 'second', limit: 5, windowMs: 1_000, remaining: 4, resetMs: 1_050 },
        { name: 'day', limit: 900, windowMs: 86_400_000, remaining: 899, resetMs: 86_404_320 },
      ],
    })
  })

  it('credits with and without refill; a refusal by rate with and without a retry', () => {
    const refill = { remaining: 10, refill: { amount: 10, intervalMs: 60_000 } }
    const byRate = outcomeOf([1, 700, 3, 59_000], { rate: [], credits: refill })
    expect(byRate).toEqual({
      allowed: false,
      deniedBy: 'rate',
      retryAfterMs: 700,
      rate: [],
      credits: { remaining: 3, resetMs: 59_000 },
    })
    const never = outcomeOf([1, -1, 0, -1], { rate: [], credits: { remaining: 1 } })
    expect(never).toEqual({ allowed: false, deniedBy: 'rate', rate: [], credits: { remaining: 0 } })
    expect(never).not.toHaveProperty('retryAfterMs')
    expect(never.credits).not.toHaveProperty('resetMs')
    // Credits counted by the script are ignored for a check made without credits.
    expect(outcomeOf([0, -1, 7, -1], { rate: [], credits: undefined })).toEqual({
      allowed: true,
      rate: [],
    })
  })

  it('a refusal by the credits', () => {
    expect(outcomeOf([2, 12_000, 0, 12_000], { rate: [], credits: { remaining: 5 } })).toEqual({
      allowed: false,
      deniedBy: 'credits',
      retryAfterMs: 12_000,
      rate: [],
      credits: { remaining: 0, resetMs: 12_000 },
    })
  })

  it("fails on the script's error text, a wrong length, a non-integer or an unknown status", () => {
    const shape = { rate: rate.slice(0, 1), credits: undefined }
    expect(() => outcomeOf('limit state: unknown format', shape)).toThrow(
      'limit script: limit state: unknown format',
    )
    for (const answer of [
      [0, -1, -1, -1],
      [0, -1, -1, -1, 1, 2, 3],
      [0, -1, -1, -1, 1.5, 2],
      [0, -1, -1, -1, '1', 2],
      [3, -1, -1, -1, 1, 2],
      [-1, -1, -1, -1, 1, 2],
      null,
      { allowed: true },
    ]) {
      expect(() => outcomeOf(answer, shape), JSON.stringify(answer)).toThrow(
        'limit script: unexpected answer',
      )
    }
  })
})

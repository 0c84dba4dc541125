/**
 * The retirement report of a pepper rotation (`auth.pepperStatus().retirable`,
 * `src/service/pepper-rotation.ts`), written against surviving mutants (docs/testing.md,
 * mutation testing): a previous pepper is retirable once no record carries its id, and the
 * oldest one only once no unversioned (0.1) record remains either, since those were made with
 * it. The counts come from a store whose `countDigestVersions` answers what each case needs.
 */
import { describe, expect, it } from 'vitest'
import { type ApiKeyAuthOptions, createApiKeyAuth, MemoryKeyStore } from '../../src/index.js'
import { registerSecret } from '../support/secret-scan.js'

const SECRETS = {
  p2: 'pepper-p2-0123456789abcdefghijklmnopqrstu',
  p1: 'pepper-p1-ZYXWVUTSRQPONMLKJIHGFEDCBA98765',
  p0: 'pepper-p0-abcdefghijklmnopqrstuvwxyz01234',
}
for (const secret of Object.values(SECRETS)) registerSecret(secret)

// A store that reports `counts` as its digest versions (`null`: it cannot count them).
function storeCounting(counts: Record<string, number> | null): MemoryKeyStore {
  const store = new MemoryKeyStore()
  if (counts === null) {
    Object.defineProperty(store, 'countDigestVersions', { value: undefined })
  } else {
    store.countDigestVersions = () => Promise.resolve({ ...counts })
  }
  return store
}

const RING: ApiKeyAuthOptions['pepper'] = {
  current: { id: 'p2', secret: SECRETS.p2 },
  previous: [
    { id: 'p1', secret: SECRETS.p1 },
    { id: 'p0', secret: SECRETS.p0 },
  ],
}

const retirable = async (
  counts: Record<string, number> | null,
  pepper: ApiKeyAuthOptions['pepper'] = RING,
): Promise<string[]> =>
  (await createApiKeyAuth({ store: storeCounting(counts), pepper, logger: false }).pepperStatus())
    .retirable

describe('which previous peppers can be retired', () => {
  it('every previous pepper, once only current-pepper records remain', async () => {
    expect(await retirable({ p2: 5 })).toEqual(['p1', 'p0'])
  })

  it('not one that a record still carries', async () => {
    expect(await retirable({ p2: 5, p1: 1 })).toEqual(['p0'])
    expect(await retirable({ p2: 5, p0: 2 })).toEqual(['p1'])
  })

  it('not the oldest while an unversioned record remains; a newer one still', async () => {
    expect(await retirable({ p2: 5, '': 3 })).toEqual(['p1'])
  })

  it('none when the store cannot count digest versions', async () => {
    expect(await retirable(null)).toEqual([])
  })

  it('none while the current pepper has no id (it still writes unversioned digests)', async () => {
    const accepting: ApiKeyAuthOptions['pepper'] = {
      current: { secret: SECRETS.p1 },
      next: { id: 'p2', secret: SECRETS.p2 },
    }
    expect(await retirable({ '': 4 }, accepting)).toEqual([])
    // Its unversioned digests cannot be told from those of the previous pepper: even with no
    // record counted at all, nothing is reported retirable.
    const unversioned: ApiKeyAuthOptions['pepper'] = {
      current: { secret: SECRETS.p1 },
      previous: [{ id: 'p0', secret: SECRETS.p0 }],
    }
    expect(await retirable({}, unversioned)).toEqual([])
  })
})

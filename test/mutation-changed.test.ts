/** `npm run test:mutation:changed` picks the changed files StrykerJS would mutate. */
import { describe, expect, it } from 'vitest'
import { globToRegExp, selectMutated } from '../scripts/mutation-changed.mjs'

describe('mutation testing of changed files', () => {
  it('selects changed core modules by the mutate list (service modules by name), nothing else', async () => {
    // A computed specifier: the config is plain JavaScript without types.
    const configFile = '../stryker.config.mjs'
    const config = (await import(configFile)) as { default: { mutate: string[] } }
    const changed = [
      'src/service/verifier.ts',
      'src/service/guarded-store.ts',
      // A feature module of a later issue: measured on demand with --mutate, not by default.
      'src/service/usage-counter.ts',
      'src/service/deeper/x.ts',
      'src/http/session/verifier.ts',
      'src/http/routes.ts',
      'src/api-key.ts',
      'src/api-key.tsx',
      'src/index.ts',
      'test/scope.test.ts',
      'docs/testing.md',
    ]
    expect(selectMutated(changed, config.default.mutate)).toEqual([
      'src/service/verifier.ts',
      'src/service/guarded-store.ts',
      'src/http/session/verifier.ts',
      'src/api-key.ts',
    ])
  })

  it('globs: * stays in a segment, ** crosses them, ! removes, dots are literal', () => {
    expect(globToRegExp('src/*.ts').test('src/a.ts')).toBe(true)
    expect(globToRegExp('src/*.ts').test('src/a/b.ts')).toBe(false)
    expect(globToRegExp('src/*.ts').test('src/axts')).toBe(false)
    expect(globToRegExp('src/**/*.ts').test('src/a/b/c.ts')).toBe(true)
    expect(selectMutated(['src/a.ts', 'src/b.ts'], ['src/*.ts', '!src/b.ts'])).toEqual(['src/a.ts'])
  })
})

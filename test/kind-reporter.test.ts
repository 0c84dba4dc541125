/** The one-line summary of `npm test` (test/support/kind-reporter.ts) sorts tests by kind. */
import { describe, expect, it } from 'vitest'
import { formatKinds, kindOf } from './support/kind-reporter.js'

describe('kind reporter', () => {
  it('sorts tests by folder, framework and backend', () => {
    const cases: [string, string, string][] = [
      ['test/scope.test.ts', 'scopes validates the grammar', 'unit'],
      ['test/http/read-body.test.ts', 'readBody reads', 'unit'],
      ['test/property/scope.test.ts', 'scope laws', 'property'],
      ['test/security/cch.test.ts', 'CCH-01', 'security'],
      ['test/adapters/types.test.ts', 'adapter types Express', 'adapters'],
      ['test/e2e/express4.test.ts', 'end to end over express4 HDR-01', 'e2e express4'],
      ['test/e2e/http2.test.ts', 'HTTP/2 every golden case', 'e2e http2'],
      ['test/conformance/memory-key-store.test.ts', 'KeyStore conformance', 'stores memory'],
      ['test/stores/postgres-key-store.test.ts', 'PostgresKeyStore specifics', 'stores postgres'],
      ['test/stores/concurrency.test.ts', 'redis under concurrency 100 parallel', 'stores redis'],
      ['test/stores/faults.test.ts', 'slow store sqlite', 'stores sqlite'],
      ['test/stores/differential.test.ts', 'something else', 'stores shared'],
      ['test/package/docs.test.ts', 'docs', 'package'],
      ['test/cli/cli.test.ts', 'vydra-auth on redis', 'cli'],
      ['test/browser/key-page.test.ts', 'the key page in Chromium', 'browser'],
      [
        'test/runtimes/runtimes.test.ts',
        'e2e table on bun (@vydra/auth/fetch) HDR-01 no header',
        'runtimes bun',
      ],
      [
        'test/runtimes/runtimes.test.ts',
        'e2e table on deno (@vydra/auth/fetch) the service runs there; workerd has no node:crypto',
        'runtimes deno',
      ],
      [
        'test/runtimes/runtimes.test.ts',
        'e2e table on workerd (@vydra/auth/fetch) SCP-03 scope',
        'runtimes workerd',
      ],
      ['test/runtimes/runtimes.test.ts', 'a helper outside the table', 'runtimes shared'],
    ]
    for (const [file, name, kind] of cases) expect([file, kindOf(file, name)]).toEqual([file, kind])
  })

  it('prints one line, groups in a fixed order, skipped cases shown', () => {
    const line = formatKinds(
      new Map([
        ['stores redis', { ran: 0, skipped: 22 }],
        ['e2e koa', { ran: 148, skipped: 0 }],
        ['unit', { ran: 100, skipped: 0 }],
        ['e2e express', { ran: 148, skipped: 0 }],
        ['stores sqlite', { ran: 20, skipped: 0 }],
        ['runtimes workerd', { ran: 50, skipped: 0 }],
        ['package', { ran: 3, skipped: 0 }],
        ['runtimes bun', { ran: 50, skipped: 0 }],
      ]),
    )
    expect(line).toBe(
      'Tests by kind (519 ran): unit 100 · e2e express 148, koa 148 · stores redis 0 (+22 skipped), sqlite 20 · runtimes bun 50, workerd 50 · package 3',
    )
  })
})

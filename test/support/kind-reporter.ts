/**
 * A vitest reporter that closes `npm test` with one line saying what ran, per kind of test:
 * unit, property, security, adapters, e2e per framework, stores per backend, runtimes (the
 * e2e table on Bun, Deno, workerd: `npm run test:runtimes`), package. Listed
 * after vitest's default reporter (vitest.config.ts), whose closing lines stay as they are.
 */
import { relative } from 'node:path'
import type { Reporter, TestModule } from 'vitest/node'

interface Tally {
  ran: number
  skipped: number
}

const BACKENDS = ['memory', 'sqlite', 'postgres', 'redis'] as const

/** The kind of a test, from its file (relative to the root) and its full name. */
export function kindOf(file: string, fullName: string): string {
  const path = file.replaceAll('\\', '/')
  const e2e = /^test\/e2e\/([\w-]+)\.test\.ts$/.exec(path)
  if (e2e !== null) return `e2e ${e2e[1]}`
  if (path.startsWith('test/runtimes/')) {
    // `npm run test:runtimes`: the e2e table on other runtimes, named first in the describe
    // ("e2e table on deno …"); the leftmost name wins over one a case's title mentions.
    const runtime = /\b(bun|deno|workerd)\b/i.exec(fullName)?.[1]
    return `runtimes ${runtime?.toLowerCase() ?? 'shared'}`
  }
  if (path.startsWith('test/stores/') || path.startsWith('test/conformance/')) {
    const named = /(memory|sqlite|postgres|redis)[-\s]key[-\s]store/i.exec(path)?.[1]
    const backend =
      named ?? BACKENDS.find((b) => new RegExp(`\\b${b}\\b`, 'i').test(fullName)) ?? 'shared'
    return `stores ${backend.toLowerCase()}`
  }
  const folder = /^test\/(property|security|adapters|package|http|cli|browser)\//.exec(path)?.[1]
  if (folder === 'http') return 'unit'
  if (folder !== undefined) return folder
  return 'unit'
}

const ORDER = [
  'unit',
  'property',
  'security',
  'adapters',
  'e2e',
  'stores',
  'runtimes',
  'cli',
  'browser',
  'package',
]

/** Formats the tallies: `unit 160 · … · e2e express 148, fastify 148 · stores sqlite 20, …`. */
export function formatKinds(tallies: ReadonlyMap<string, Tally>): string {
  const groups = new Map<string, string[]>()
  const keys = [...tallies.keys()].sort((a, b) => {
    const rank = (k: string): number => {
      const i = ORDER.indexOf(k.split(' ')[0] as string)
      return i < 0 ? ORDER.length : i
    }
    return rank(a) - rank(b) || a.localeCompare(b)
  })
  for (const key of keys) {
    const { ran, skipped } = tallies.get(key) as Tally
    const [group, sub] = key.split(' ') as [string, string | undefined]
    const count = `${ran}${skipped > 0 ? ` (+${skipped} skipped)` : ''}`
    const list = groups.get(group) ?? []
    list.push(sub === undefined ? count : `${sub} ${count}`)
    groups.set(group, list)
  }
  const parts = [...groups].map(([group, list]) => `${group} ${list.join(', ')}`)
  const total = [...tallies.values()].reduce((n, t) => n + t.ran, 0)
  return `Tests by kind (${total} ran): ${parts.join(' · ')}`
}

export default class KindReporter implements Reporter {
  #root = process.cwd()

  onInit(vitest: { config: { root: string } }): void {
    this.#root = vitest.config.root
  }

  onTestRunEnd(testModules: readonly TestModule[]): void {
    const tallies = new Map<string, Tally>()
    for (const module of testModules) {
      const file = relative(this.#root, module.moduleId)
      for (const test of module.children.allTests()) {
        const kind = kindOf(file, test.fullName)
        const tally = tallies.get(kind) ?? { ran: 0, skipped: 0 }
        const state = test.result().state
        if (state === 'passed' || state === 'failed') tally.ran++
        else tally.skipped++
        tallies.set(kind, tally)
      }
    }
    if (tallies.size > 0) process.stdout.write(`\n${formatKinds(tallies)}\n`)
  }
}

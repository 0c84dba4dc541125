/**
 * The TypeScript examples of README.md and docs/*.md, with the install line each one states.
 *
 * Convention (checked by test/package/docs.test.ts): a ```ts block that needs more than
 * `@vydra/auth` is immediately preceded (no other fenced block, no heading in between) by a
 * ```sh block whose lines are
 *
 *     npm install @vydra/auth <packages…>
 *     npm install -D typescript <@types/… and tools such as tsx>     (when types or tools are needed)
 *
 * A ```ts block without one needs only what README.md's "Install" block names (`@vydra/auth`,
 * plus `typescript` and `@types/node` for strict TypeScript). A trailing `# Express 4: express@4`
 * comment on an install line names a variant: the same line with those packages swapped in.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const root = resolve(import.meta.dirname, '../..')

/**
 * The package each subpath entry needs besides `@vydra/auth` (its optional peer dependency), or
 * `null` for an entry that needs none (`http`, the adapter kit).
 */
export const ENTRY_PACKAGES: Readonly<Record<string, string | null>> = {
  http: null,
  'store-kit': null,
  express: 'express',
  fastify: 'fastify',
  koa: 'koa',
  fetch: null,
  hono: 'hono',
  next: null,
  postgres: 'pg',
  redis: 'ioredis',
  sqlite: 'better-sqlite3',
  testing: 'vitest',
  otel: '@opentelemetry/api',
}

/** An `npm install` block. */
export interface Install {
  /** 1-based line of the block's first line in its guide. */
  line: number
  /** Every package the block's `npm install` lines name, as written (`express@5`), in order. */
  packages: string[]
  /** Variants named by `# <name>: <packages>` comments: the full package list of each. */
  variants: Record<string, string[]>
}

/** A ```ts block of a guide. */
export interface Snippet {
  guide: string
  /** 1-based line of the block's first code line in the guide. */
  line: number
  /** The heading of the section the block is in ('' before the first heading). */
  section: string
  /** The prose right after the block (up to the next fenced block or heading): how to run it. */
  after: string
  code: string
  /** The install block right before it, or null. */
  install: Install | null
}

/** Guides whose ```ts blocks are checked: docs/*.md, then README.md. */
export function guideFiles(): string[] {
  return [
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
    'README.md',
  ]
}

interface Fence {
  lang: string
  /** 1-based line of the opening fence. */
  start: number
  body: string[]
  section: string
  /** Prose lines after the closing fence, up to the next fence or heading. */
  after: string[]
}

function parse(text: string): Fence[] {
  const fences: Fence[] = []
  let section = ''
  let open: Fence | null = null
  let last: Fence | null = null
  for (const [index, line] of text.split('\n').entries()) {
    if (open !== null) {
      if (/^```\s*$/.test(line)) {
        fences.push(open)
        last = open
        open = null
      } else open.body.push(line)
      continue
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line)
    const fence = /^```(\S*)/.exec(line)
    if (heading !== null || fence !== null) last = null
    else last?.after.push(line)
    if (heading !== null) section = heading[1] ?? ''
    if (fence !== null) {
      open = { lang: fence[1] ?? '', start: index + 1, body: [], section, after: [] }
    }
  }
  return fences
}

/** The package name of an npm spec: `@types/express@5` → `@types/express`. */
export function packageName(spec: string): string {
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0)
  return at === -1 ? spec : spec.slice(0, at)
}

/** Reads an install block; null when it has no `npm install` line. */
export function parseInstall(body: string[], line: number): Install | null {
  const packages: string[] = []
  const swaps: Record<string, string[]> = {}
  for (const text of body) {
    const match = /^\s*npm\s+(?:install|i|add)\s+([^#]*?)\s*(?:#\s*(.*))?$/.exec(text)
    if (match === null) continue
    packages.push(...(match[1] ?? '').split(/\s+/).filter((t) => t !== '' && !t.startsWith('-')))
    const variant = /^([^:]+):\s*(.+)$/.exec(match[2] ?? '')
    if (variant !== null) {
      const name = (variant[1] ?? '').trim()
      swaps[name] = [...(swaps[name] ?? []), ...(variant[2] ?? '').trim().split(/\s+/)]
    }
  }
  if (packages.length === 0) return null
  const variants: Record<string, string[]> = {}
  for (const [name, replacements] of Object.entries(swaps)) {
    const byName = new Map(replacements.map((spec) => [packageName(spec), spec]))
    variants[name] = packages.map((spec) => byName.get(packageName(spec)) ?? spec)
  }
  return { line, packages, variants }
}

/** Every ```ts block of a guide, with the install block right before it. */
export function extractSnippets(guide: string): Snippet[] {
  const fences = parse(readFileSync(join(root, guide), 'utf8'))
  const snippets: Snippet[] = []
  for (const [index, fence] of fences.entries()) {
    if (fence.lang !== 'ts' && fence.lang !== 'typescript') continue
    const previous = fences[index - 1]
    const install =
      previous !== undefined && previous.lang === 'sh' && previous.section === fence.section
        ? parseInstall(previous.body, previous.start + 1)
        : null
    snippets.push({
      guide,
      line: fence.start + 1,
      section: fence.section,
      after: fence.after.join('\n'),
      code: fence.body.join('\n'),
      install,
    })
  }
  return snippets
}

/**
 * What an example without an install block may rely on: the packages of README.md's "Install"
 * block, without `@vydra/auth` itself.
 */
export function baselinePackages(): string[] {
  const fences = parse(readFileSync(join(root, 'README.md'), 'utf8'))
  const block = fences.find((f) => f.section === 'Install' && f.lang === 'sh')
  const install = block === undefined ? null : parseInstall(block.body, block.start + 1)
  if (install === null) throw new Error('README.md: no npm install block under "## Install"')
  return install.packages.filter((spec) => spec !== '@vydra/auth')
}

/** The packages (besides `@vydra/auth`) a snippet is checked with. */
export function snippetPackages(snippet: Snippet): string[] {
  return snippet.install === null
    ? baselinePackages()
    : snippet.install.packages.filter((spec) => spec !== '@vydra/auth')
}

/** Each package set a snippet must work with: its install line, then each variant it names. */
export function snippetPackageSets(snippet: Snippet): string[][] {
  const variants = Object.values(snippet.install?.variants ?? {})
  return [
    snippetPackages(snippet),
    ...variants.map((specs) => specs.filter((spec) => spec !== '@vydra/auth')),
  ]
}

/** A stable key for a set of packages: the sorted specs. */
export function packageSetKey(packages: readonly string[]): string {
  return [...new Set(packages)].sort().join(' ')
}

/** Bare module specifiers a snippet imports (static, dynamic, `require`). */
export function importedModules(code: string): string[] {
  const found = new Set<string>()
  const patterns = [
    /^\s*(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.add(m[1] ?? '')
  return [...found].filter((s) => s !== '' && !s.startsWith('.') && !s.startsWith('/'))
}

/**
 * The packages a snippet's imports need besides `@vydra/auth` (Node built-ins need none); an
 * unknown `@vydra/auth/<entry>` is reported as itself so that the check fails.
 */
export function requiredPackages(code: string): string[] {
  const needed = new Set<string>()
  for (const specifier of importedModules(code)) {
    if (specifier.startsWith('node:') || specifier === '@vydra/auth') continue
    if (specifier.startsWith('@vydra/auth/')) {
      const entry = specifier.slice('@vydra/auth/'.length)
      const peer = Object.hasOwn(ENTRY_PACKAGES, entry) ? ENTRY_PACKAGES[entry] : specifier
      if (peer !== null && peer !== undefined) needed.add(peer)
      continue
    }
    const parts = specifier.split('/')
    needed.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier))
  }
  return [...needed]
}

/** A framework quick start of README.md, with the packages its install block names. */
export interface QuickStart {
  /** `Express 5`, `Express 4`, `Fastify 5`, … */
  name: string
  /** The README section (`Express`, `Fastify`, `Koa`). */
  section: string
  /** The adapter it uses (`express`, `fastify`, `koa`). */
  framework: string
  /** Packages to install besides the tarball. */
  packages: string[]
  /** A variant named by a `# <name>: …` comment, not the install line as written. */
  variant: boolean
  code: string
}

/** README.md's quick start for each framework, and each variant its install block names. */
export function readmeQuickStarts(): QuickStart[] {
  const quickStarts: QuickStart[] = []
  for (const snippet of extractSnippets('README.md')) {
    const framework = /from '@vydra\/auth\/(express|fastify|koa|hono|fetch)'/.exec(
      snippet.code,
    )?.[1]
    if (framework === undefined || snippet.install === null) continue
    const packages = snippet.install.packages.filter((spec) => spec !== '@vydra/auth')
    const major = (specs: string[]): string => {
      const spec = specs.find((s) => packageName(s) === framework) ?? ''
      return /@(\d+)/.exec(spec)?.[1] ?? '(latest)'
    }
    quickStarts.push({
      name: `${snippet.section} ${major(packages)}`,
      section: snippet.section,
      framework,
      packages,
      variant: false,
      code: snippet.code,
    })
    for (const specs of Object.values(snippet.install.variants)) {
      const variant = specs.filter((spec) => spec !== '@vydra/auth')
      quickStarts.push({
        name: `${snippet.section} ${major(variant)}`,
        section: snippet.section,
        framework,
        packages: variant,
        variant: true,
        code: snippet.code,
      })
    }
  }
  return quickStarts
}

/**
 * `npm run bench [-- --quick] [--only=core,http,stores,memory,scale,observability,fleet-lifecycle,
 * limits,leaks,baseline,hono] [--no-pin] [--connections=N] [--baseline=<rev>,…]`: bundles every
 * section the way the package is built (esbuild, Node 20 target, dependencies external, no
 * name-keeping helpers), then runs each section in its own Node process, one after another, printing one markdown table per section, and at the end the
 * table of issue 10's targets. Sections pin themselves to CPUs (bench/lib/cpu.ts).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { BUNDLE_OPTIONS } from './lib/bundle.js'
import { removeOnExit } from './lib/cleanup.js'
import { pinPlan } from './lib/cpu.js'
import { readTargets, TARGETS, TARGETS_ENV } from './lib/targets.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = join(root, 'node_modules', '.cache', 'vydra-bench')
const quick = process.argv.includes('--quick')

const SECTIONS = [
  { name: 'core', title: '1. Core hot path', flags: [] as string[] },
  { name: 'http', title: '2–3. HTTP overhead and peers', flags: [] },
  { name: 'stores', title: '4 and 6. Real stores and fleet revocation', flags: [] },
  { name: 'memory', title: '5. Memory under attack', flags: ['--expose-gc'] },
  { name: 'scale', title: '7. Scale: cache misses and heap per key', flags: ['--expose-gc'] },
  { name: 'observability', title: '8. Observability on the hit path', flags: [] },
  { name: 'fleet-lifecycle', title: '9. Fleet lifecycle', flags: [] },
  { name: 'limits', title: '10. Usage limits: accuracy, cost, memory', flags: ['--expose-gc'] },
  { name: 'leaks', title: '11. Leaked keys: leak to rejection, pepper ring cost', flags: [] },
  { name: 'baseline', title: '12. Cache hit against the pre-issue build', flags: [] },
  { name: 'hono', title: '13. Hono on Node and Bun', flags: [] },
]

// Flags every section reads (bench/lib/args.ts, bench/lib/cpu.ts); `--only` is ours.
const PASSED = process.argv.slice(2).filter((a) => !a.startsWith('--only='))

function printTargets(file: string, ran: ReadonlySet<string>): void {
  const results = readTargets(file)
  const rows = TARGETS.map(({ id, section, target }) => {
    const result = results.get(id)
    if (result === undefined) {
      return [target, '', ran.has(section) ? 'not measured' : 'not run', '']
    }
    const verdict = result.met === undefined ? 'not valid' : result.met ? 'met' : '**missed**'
    return [target, result.measured, verdict, result.note ?? '']
  })
  process.stdout.write(
    [
      '### Targets (issues 10 and 15)',
      '',
      '| target | measured | met? | note |',
      '| --- | --- | --- | --- |',
      ...rows.map((row) => `| ${row.join(' | ')} |`),
      '',
      '',
    ].join('\n'),
  )
}

async function main(): Promise<void> {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)
  const cpu = cpus()
  process.stdout.write(
    `# @vydra/auth benchmarks${quick ? ' (--quick)' : ''}\n\n` +
      `Machine: Node ${process.version}, ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ` +
      `${cpu.length} cores, load average ${loadavg()[0]?.toFixed(2)} at start, ` +
      `${new Date().toISOString()}\n\n` +
      // Decided here, before any section pins itself; the sections inherit it.
      `CPU pinning: ${pinPlan().describe}\n\n`,
  )
  rmSync(outdir, { recursive: true, force: true })
  const built = await build({
    entryPoints: Object.fromEntries(
      // fleet-revocation is its own entry so that, split into a chunk, its "run when main" check
      // compares the chunk's URL, not the section's, with argv[1].
      // The Hono server keeps its folder (hono/server.mjs): Bun and Node both run it.
      [...SECTIONS.map((s) => s.name), 'http/server', 'hono/server', 'fleet-revocation']
        .map((name) => [name.replace('http/', ''), join(root, 'bench', `${name}.ts`)])
        .filter(([, file]) => existsSync(file as string)),
    ),
    outdir,
    ...BUNDLE_OPTIONS,
  }).catch((error: unknown) => error as Error)
  if (built instanceof Error) {
    // A missing adapter or store module makes the bundle fail: say so instead of a stack trace.
    process.stdout.write(`not available: bundling the bench failed: ${built.message}\n`)
    process.exitCode = 1
    return
  }
  let failed = 0
  const targetsDir = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-bench-targets-')))
  const targetsFile = join(targetsDir, 'targets.jsonl')
  const ran = new Set<string>()
  for (const section of SECTIONS) {
    if (only !== undefined && !only.split(',').includes(section.name)) continue
    ran.add(section.name)
    const file = join(outdir, `${section.name}.mjs`)
    if (!existsSync(file)) {
      process.stdout.write(`### ${section.title}\n\nnot available: ${file} was not built\n\n`)
      continue
    }
    const run = spawnSync(process.execPath, [...section.flags, file, ...PASSED], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, [TARGETS_ENV]: targetsFile },
    })
    if (run.status !== 0) {
      failed++
      process.stdout.write(
        `### ${section.title}\n\nfailed: the section exited with ${run.status ?? run.signal}\n\n`,
      )
    }
  }
  printTargets(targetsFile, ran)
  rmSync(targetsDir, { recursive: true, force: true })
  process.exitCode = failed > 0 ? 1 : 0
}

await main()

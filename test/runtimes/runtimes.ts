/**
 * Bundling the test service for a runtime and starting it there: Bun and Deno as child processes
 * from their npm packages (`bun`, `deno`), workerd through Miniflare (`miniflare`), without
 * `nodejs_compat`, so that any Node-only API on the import path of the core and the fetch entry
 * fails there.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { build, type Plugin } from 'esbuild'

/** The runtimes the e2e table runs on besides Node. */
export type Runtime = 'bun' | 'deno' | 'workerd'

const root = resolve(import.meta.dirname, '../..')
const outDir = join(root, '.tmp', `runtimes-${process.pid}`)

const ENTRIES: Record<Runtime, string> = {
  bun: 'test/runtimes/bun-server.ts',
  deno: 'test/runtimes/deno-server.ts',
  workerd: 'test/runtimes/worker.ts',
}

// The library's entries as the test service imports them (relative to the repository), and the
// package specifier each one is published as.
const PUBLIC_ENTRIES: Record<string, string> = {
  'src/index.ts': '@vydra/auth',
  'src/http/index.ts': '@vydra/auth/http',
  'adapters/frameworks/fetch/index.ts': '@vydra/auth/fetch',
}

/**
 * The service is tested as a user installs it: its imports of the library's source entries are
 * resolved to the packed package installed in `consumerDir` (test/support/global-runtime-package.ts),
 * through the package's `exports`; any other import of `src/` or `adapters/` fails the bundle, so
 * that no source module slips in beside the package.
 */
function packedLibrary(consumerDir: string): Plugin {
  return {
    name: 'packed-library',
    setup(build) {
      build.onResolve({ filter: /(^|\/)(src|adapters)\// }, async (args) => {
        if (!args.path.startsWith('.')) return undefined
        const file = relative(root, resolve(args.resolveDir, args.path)).replace(/\.js$/, '.ts')
        const specifier = PUBLIC_ENTRIES[file.split(sep).join('/')]
        if (specifier === undefined) {
          return {
            errors: [
              {
                text: `${args.path}: the runtime suite imports the library only through ${Object.values(PUBLIC_ENTRIES).join(', ')}`,
              },
            ],
          }
        }
        const resolved = await build.resolve(specifier, {
          kind: args.kind,
          resolveDir: consumerDir,
        })
        return resolved.errors.length > 0 ? { errors: resolved.errors } : { path: resolved.path }
      })
    },
  }
}

/**
 * Bundles the service for `runtime` into one ES module, with the library from the packed
 * package installed in `consumerDir`; returns its path.
 */
export async function bundle(runtime: Runtime, consumerDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true })
  const outfile = join(outDir, `${runtime}.mjs`)
  await build({
    entryPoints: [join(root, ENTRIES[runtime])],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: [runtime, 'worker', 'browser', 'import'],
    // Test support only (log formatting); the library itself needs no alias.
    alias: { 'node:util': join(root, 'test/runtimes/node-util-shim.ts') },
    plugins: [packedLibrary(consumerDir)],
    logLevel: 'error',
  })
  return outfile
}

/** A started runtime serving the test service. */
export interface RuntimeServer {
  url: string
  close(): Promise<void>
}

/** The binary of `runtime` from its npm package; throws when it is not installed. */
export function binaryOf(runtime: 'bun' | 'deno'): string {
  const bin = join(root, 'node_modules', '.bin', runtime)
  if (!existsSync(bin)) {
    // A devDependency: never skipped, under CI or not. A missing one is a failed install.
    throw new Error(`${runtime} is not installed (npm package "${runtime}"): run npm ci`)
  }
  return bin
}

/** Starts the bundled service on `runtime`. */
export async function startRuntime(runtime: Runtime, file: string): Promise<RuntimeServer> {
  if (runtime === 'workerd') return startWorkerd(file)
  const args =
    runtime === 'bun' ? ['run', file] : ['run', '--allow-net', '--no-prompt', '--quiet', file]
  const child = spawn(binaryOf(runtime), args, {
    cwd: outDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? outDir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const port = await readyPort(child, runtime)
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done()
        child.once('exit', () => done())
        child.kill('SIGTERM')
      }),
  }
}

function readyPort(child: ChildProcess, runtime: Runtime): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${runtime} did not start within 60 s:\n${output}`))
    }, 60_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /READY (\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolvePort(Number(match[1]))
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${runtime} exited (${code ?? signal}) before it listened:\n${output}`))
    })
  })
}

async function startWorkerd(file: string): Promise<RuntimeServer> {
  const { Miniflare } = await import('miniflare')
  const mf = new Miniflare({
    modules: true,
    scriptPath: file,
    // No compatibility flags: no nodejs_compat, so node:* imports and Node globals are absent.
    compatibilityDate: '2025-06-01',
    host: '127.0.0.1',
    port: 0,
  })
  const url = await mf.ready
  return { url: url.origin, close: () => mf.dispose() }
}

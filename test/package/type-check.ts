/** Type-checks files in a consumer project against the installed package, with `tsc`. */
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

/**
 * Writes `files` into `<consumerDir>/<name>/` with a tsconfig for `resolution`, runs `tsc`, and
 * returns its diagnostics ('' when clean). `checkDeclarations` also checks the package's .d.ts.
 * `types` is the tsconfig option (default `['node']`); `null` leaves it out, so that every
 * `@types` package the consumer installed applies, as in a new project.
 */
export function typeCheck(
  consumerDir: string,
  name: string,
  files: Record<string, string>,
  resolution: 'node16' | 'bundler',
  options: TypeCheckOptions = {},
): string {
  const dir = prepare(consumerDir, name, files, resolution, options)
  try {
    execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: 'pipe' })
    return ''
  } catch (error) {
    return diagnostics(error)
  }
}

/** {@link typeCheck}, without blocking the event loop (several can run at once). */
export function typeCheckAsync(
  consumerDir: string,
  name: string,
  files: Record<string, string>,
  resolution: 'node16' | 'bundler',
  options: TypeCheckOptions = {},
): Promise<string> {
  const dir = prepare(consumerDir, name, files, resolution, options)
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsc, '-p', dir],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve(error === null ? '' : diagnostics(Object.assign(error, { stdout, stderr }))),
    )
  })
}

interface TypeCheckOptions {
  checkDeclarations?: boolean
  types?: string[] | null
}

function prepare(
  consumerDir: string,
  name: string,
  files: Record<string, string>,
  resolution: 'node16' | 'bundler',
  { checkDeclarations = false, types = ['node'] }: TypeCheckOptions,
): string {
  const dir = join(consumerDir, name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text)
  const compilerOptions = {
    target: 'ES2022',
    lib: ['ES2023'],
    module: resolution === 'node16' ? 'Node16' : 'ESNext',
    moduleResolution: resolution === 'node16' ? 'Node16' : 'Bundler',
    ...(types === null ? {} : { types }),
    strict: true,
    noEmit: true,
    // When asked, our own .d.ts are checked too (slower); the frameworks' typings are then
    // filtered out below, as they are not ours to fix.
    skipLibCheck: !checkDeclarations,
    esModuleInterop: true,
  }
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions, include: ['./**/*.ts', './**/*.cts'] }, null, 2),
  )
  return dir
}

function diagnostics(error: unknown): string {
  const { stdout, stderr } = error as { stdout?: string; stderr?: string }
  const output = `${stdout ?? ''}${stderr ?? ''}`
  const ours = output
    .split('\n')
    .filter((line) => /\(\d+,\d+\): error TS/.test(line) || /^error TS/.test(line))
    .filter((line) => !line.includes('node_modules/') || line.includes('node_modules/@vydra/auth/'))
  // tsc failed with nothing of ours to show: report everything rather than pass.
  if (ours.length === 0 && !/\(\d+,\d+\): error TS/.test(output)) return output || String(error)
  return ours.join('\n')
}

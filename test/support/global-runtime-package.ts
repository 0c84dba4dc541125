/**
 * vitest globalSetup of the runtime suite (`npm run test:runtimes`, test/runtimes): builds and
 * packs the package and installs the tarball into one throwaway project with the install line
 * docs/runtimes.md and docs/fetch.md document for these entries (`npm install @vydra/auth`: the
 * package and its own dependencies, no peers), so that the service bundled for Bun, Deno and
 * workerd imports `@vydra/auth`, `@vydra/auth/http` and `@vydra/auth/fetch` as a user gets them.
 * Nothing else: no PostgreSQL or Redis, and none of the clean consumers the docs suites install
 * (test/support/global-package.ts), which the runtime suite does not use.
 */
import { rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { TestProject } from 'vitest/node'
import { installTarball, packPackage } from './pack-package.js'

/** What the runtime suite receives through `inject('runtimePackage')`. */
export interface ProvidedRuntimePackage {
  /** A project with the tarball installed under node_modules/@vydra/auth. */
  consumerDir: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    runtimePackage: ProvidedRuntimePackage
  }
}

const root = resolve(import.meta.dirname, '../..')

export default function setup(project: TestProject): () => void {
  // Inside the repository, apart from `dist` (see global-package.ts).
  const work = join(root, '.tmp', `runtime-package-${process.pid}`)
  rmSync(work, { recursive: true, force: true })
  const { tarball } = packPackage(work)
  const consumerDir = join(work, 'consumer')
  installTarball(tarball, consumerDir)
  project.provide('runtimePackage', { consumerDir })
  return () => {
    if (process.env.KEEP_PACKAGE_TMP === '1') return
    rmSync(work, { recursive: true, force: true })
  }
}

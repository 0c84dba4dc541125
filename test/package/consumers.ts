/** The clean consumer projects that test/support/global-package.ts installs while the suites run. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** One clean consumer project (see `ProvidedPackage.consumers`). */
export interface CleanConsumer {
  /** What it holds besides the tarball. */
  packages: string[]
  dir: string
}

/** Written into a consumer's directory when its `npm install` ends. */
export const INSTALL_RESULT = 'install-result.json'

/** The outcome of a consumer's `npm install`. */
export interface InstallResult {
  seconds: number
  /** The failure (command and npm's output), if it failed. */
  error?: string | undefined
}

/**
 * Waits until `consumer` is installed and returns its directory; throws if its install failed
 * or did not end within `timeoutMs`.
 */
export async function consumerReady(
  consumer: CleanConsumer | undefined,
  timeoutMs = 240_000,
): Promise<string> {
  if (consumer === undefined) throw new Error('no clean consumer for this package set')
  const file = join(consumer.dir, INSTALL_RESULT)
  const deadline = Date.now() + timeoutMs
  while (!existsSync(file)) {
    if (Date.now() > deadline) {
      throw new Error(`npm install of ${consumer.packages.join(' ')} did not end in time`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const result = JSON.parse(readFileSync(file, 'utf8')) as InstallResult
  if (result.error !== undefined) throw new Error(result.error)
  return consumer.dir
}

/**
 * Headless Chromium for the page tests: Debian's `chromium` driven by `playwright-core` (no
 * browser download), a fresh profile per launch. Under CI=true a missing Chromium fails the run.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'

/** Where Debian's package puts it (`apt-get install -y chromium`). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Whether the page tests can run; throws under CI=true when Chromium is missing. */
export function chromiumRuns(): boolean {
  if (existsSync(CHROMIUM)) return true
  const message = `Chromium not found at ${CHROMIUM}: install with \`apt-get install -y chromium\``
  if (process.env.CI === 'true') throw new Error(`CI runs the page tests. ${message}`)
  console.warn(`\n${'!'.repeat(100)}\n!! SKIPPING the page tests: ${message}\n${'!'.repeat(100)}\n`)
  return false
}

/** A browser context on a fresh profile; `close` also deletes the profile. */
export async function launch(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'vydra-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1100, height: 800 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

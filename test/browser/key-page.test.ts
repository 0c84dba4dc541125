/**
 * `<vydra-api-keys>` in headless Chromium, served by `apiKeyRoutes(auth, { ui: true })` under its
 * strict Content-Security-Policy: create → the key shown once and copyable → listed → revoke with
 * a confirmation → status; error states; keyboard-only use; axe-core with no serious violation.
 * Screenshots of the main states go to .tmp/screenshots/.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { chromiumRuns, launch } from './chromium.js'
import { type PageApp, startPageApp } from './key-page-app.js'

const SHOTS = resolve(import.meta.dirname, '../../.tmp/screenshots')
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const PAGE = '/api/v1/api-keys/ui'
const KEY = /^vydra_live_user_[A-Za-z0-9_-]+_[A-Za-z0-9]{38}$/

describe.runIf(chromiumRuns())('the key page in Chromium', () => {
  let app: PageApp
  let browser: Awaited<ReturnType<typeof launch>>
  let context: BrowserContext
  const cspErrors: string[] = []

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    app = await startPageApp()
    browser = await launch()
    context = browser.context
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  async function open(userId: string): Promise<Page> {
    await context.clearCookies()
    await context.addCookies([
      { name: '__session', value: await app.session(userId), url: app.url },
    ])
    const page = await context.newPage()
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspErrors.push(message.text())
    })
    const response = await page.goto(`${app.url}${PAGE}`)
    expect(response?.status()).toBe(200)
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/)
    await page.locator('vydra-api-keys table[aria-busy]').waitFor({ state: 'detached' })
    return page
  }

  const rowOf = (page: Page, name: string) =>
    page.locator('tbody tr', { has: page.locator('th', { hasText: name }) })

  test('create → shown once → copy → listed → revoke with confirmation → revoked', async () => {
    const page = await open('alice')
    await expect.poll(() => page.locator('.vak-empty').textContent()).toBe('No keys yet.')
    await page.screenshot({ path: join(SHOTS, 'key-page-empty.png'), fullPage: true })

    await page.getByLabel('Name').fill('CI deploys')
    await page.getByLabel('models:read').check()
    await page.getByLabel('Expires').selectOption('90')
    await page.getByRole('button', { name: 'Create key' }).click()

    const field = page.getByLabel('Your new key')
    await field.waitFor()
    const key = await field.inputValue()
    expect(key).toMatch(KEY)
    await expect
      .poll(() => page.locator('.vak-warning').textContent())
      .toBe('Store this key securely. It will not be shown again.')
    expect(await page.evaluate("document.activeElement?.classList.contains('vak-key')")).toBe(true)
    await page.screenshot({ path: join(SHOTS, 'key-page-created.png'), fullPage: true })

    await page.getByRole('button', { name: 'Copy' }).click()
    await expect
      .poll(() => page.locator('.vak-copied').textContent())
      .toBe('Copied to the clipboard.')
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key)

    // The key works, with the scope chosen; once dismissed it is gone from the page.
    expect((await app.auth.verifyKey(key, { scopes: ['models:read'] })).userId).toBe('alice')
    await page.getByRole('button', { name: 'I have stored it' }).click()
    expect(await page.content()).not.toContain(key)

    const row = rowOf(page, 'CI deploys')
    await expect.poll(() => row.getAttribute('data-status')).toBe('active')
    expect(await row.locator('td').nth(1).textContent()).toBe('models:read')

    await row.getByRole('button', { name: 'Revoke key CI deploys' }).click()
    const dialog = page.getByRole('dialog', { name: 'Revoke this key?' })
    await dialog.waitFor()
    await page.screenshot({ path: join(SHOTS, 'key-page-confirm.png') })
    await dialog.getByRole('button', { name: 'Revoke key' }).click()
    await expect.poll(() => row.getAttribute('data-status')).toBe('revoked')
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toBe('Key "CI deploys" revoked.')
    await expect(app.auth.verifyKey(key)).rejects.toMatchObject({ code: 'KEY_REVOKED' })
    await page.screenshot({ path: join(SHOTS, 'key-page-revoked.png'), fullPage: true })
    expect(cspErrors).toEqual([])
  })

  test('roll shows the new key once, the old one works through its grace; disable and enable', async () => {
    const page = await open('frank')
    await page.getByLabel('Name').fill('rolling')
    await page.getByRole('button', { name: 'Create key' }).click()
    const oldKey = await page.getByLabel('Your new key').inputValue()
    await page.getByRole('button', { name: 'I have stored it' }).click()
    const [old] = await app.auth.listKeys('frank')
    const oldRow = page.locator(`tr[data-key-id="${old?.id}"]`)
    await oldRow.getByRole('button', { name: 'Roll key rolling' }).click()
    const dialog = page.getByRole('dialog', { name: 'Roll this key?' })
    await dialog.getByRole('button', { name: 'Roll key' }).click()
    const newKey = await page.getByLabel('Your new key').inputValue()
    expect(newKey).toMatch(KEY)
    expect(newKey).not.toBe(oldKey)
    await expect
      .poll(() => page.locator('.vak-status').textContent())
      .toMatch(/^Key "rolling" rolled\. .*The old key works until /)
    await page.getByRole('button', { name: 'I have stored it' }).click()
    expect(await page.content()).not.toContain(newKey)
    expect((await app.auth.verifyKey(oldKey)).userId).toBe('frank') // still in its grace
    const rolled = (await app.auth.listKeys('frank')).find((k) => k.rolledFrom === old?.id)
    const newRow = page.locator(`tr[data-key-id="${rolled?.id}"]`)
    await expect.poll(() => newRow.getAttribute('data-status')).toBe('active')

    await newRow.getByRole('button', { name: 'Disable key rolling' }).click()
    await expect.poll(() => newRow.getAttribute('data-status')).toBe('disabled')
    await expect(app.auth.verifyKey(newKey)).rejects.toMatchObject({ code: 'KEY_DISABLED' })
    await page.screenshot({ path: join(SHOTS, 'key-page-disabled.png'), fullPage: true })
    await newRow.getByRole('button', { name: 'Enable key rolling' }).click()
    await expect.poll(() => newRow.getAttribute('data-status')).toBe('active')
    expect((await app.auth.verifyKey(newKey)).userId).toBe('frank')
  })

  test('cancelling the confirmation revokes nothing', async () => {
    const page = await open('carol')
    await page.getByLabel('Name').fill('keep me')
    await page.getByRole('button', { name: 'Create key' }).click()
    await page.getByRole('button', { name: 'I have stored it' }).click()
    await rowOf(page, 'keep me').getByRole('button', { name: 'Revoke key keep me' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()
    await expect.poll(() => rowOf(page, 'keep me').getAttribute('data-status')).toBe('active')
    expect((await app.auth.listKeys('carol'))[0]?.revokedAt).toBeNull()
  })

  test('error states: validation, key limit, session ended, store down with retry', async () => {
    const page = await open('bob')
    const alert = page.getByRole('alert')
    await page.getByLabel('Name').fill('   ')
    await page.getByRole('button', { name: 'Create key' }).click()
    await expect
      .poll(() => alert.textContent())
      .toContain('Check the form. name: must not be blank')

    // The store goes down: a human message with the wait, and a Retry that works once it is back.
    app.setDown(true)
    await page.getByLabel('Name').fill('one')
    await page.getByRole('button', { name: 'Create key' }).click()
    await expect
      .poll(() => alert.textContent())
      .toMatch(/The service is temporarily unavailable\. Try again in \d+ seconds?\./)
    await page.screenshot({ path: join(SHOTS, 'key-page-unavailable.png'), fullPage: true })
    app.setDown(false)
    await alert.getByRole('button', { name: 'Retry' }).click()
    await page.getByRole('button', { name: 'I have stored it' }).click()
    await expect.poll(() => alert.isHidden()).toBe(true)
    await expect.poll(() => rowOf(page, 'one').getAttribute('data-status')).toBe('active')

    for (const name of ['two', 'three']) {
      await page.getByLabel('Name').fill(name)
      await page.getByRole('button', { name: 'Create key' }).click()
      await page.getByRole('button', { name: 'I have stored it' }).click()
    }
    await page.getByLabel('Name').fill('four')
    await page.getByRole('button', { name: 'Create key' }).click()
    await expect
      .poll(() => alert.textContent())
      .toContain('You have reached the maximum number of active keys.')
    await page.screenshot({ path: join(SHOTS, 'key-page-limit.png'), fullPage: true })

    await context.clearCookies()
    await page.getByLabel('Name').fill('five')
    await page.getByRole('button', { name: 'Create key' }).click()
    await expect
      .poll(() => alert.textContent())
      .toContain('Your session has ended. Sign in again, then retry.')
    expect(await alert.getAttribute('data-code')).toBe('SESSION_REQUIRED')

    // Codes the page may meet from other routes and proxies: a 429 and a revoked resource.
    // A string, so that the test runner leaves its import() alone.
    const module = JSON.stringify(`${app.url}/api/v1/api-keys/ui/vydra-api-keys.js`)
    const messages = await page.evaluate(`import(${module}).then(({ describeFailure }) => [
      describeFailure(429, null, '7').message,
      describeFailure(404, { error: { code: 'KEY_NOT_FOUND', message: 'x' } }, null).message,
      describeFailure(403, { error: { code: 'CSRF_REJECTED', message: 'x' } }, null).message,
    ])`)
    expect(messages).toEqual([
      'Too many requests. Try again in 7 seconds.',
      'This key no longer exists. The list has been refreshed.',
      'The request was refused as cross-site. Reload the page and try again.',
    ])
  })

  test('keyboard only: create, copy, dismiss, revoke through the dialog', async () => {
    const page = await open('dave')
    const focused = (): Promise<string> =>
      page.evaluate(
        "(e => e?.getAttribute('aria-label') ?? e?.textContent?.trim() ?? '')(document.activeElement)",
      )
    const tabTo = async (label: string | RegExp): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab')
        const now = await focused()
        if (typeof label === 'string' ? now === label : label.test(now)) return
      }
      throw new Error(`Tab never reached ${String(label)}`)
    }
    await page.keyboard.press('Tab')
    expect(await page.evaluate('document.activeElement.name')).toBe('name')
    await page.keyboard.type('keyboard key')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Space') // the first scope checkbox
    await page.keyboard.press('Enter') // submits the form
    const field = page.getByLabel('Your new key')
    await field.waitFor()
    expect(await page.evaluate("document.activeElement?.classList.contains('vak-key')")).toBe(true)
    await tabTo('Copy')
    await page.keyboard.press('Enter')
    await expect
      .poll(() => page.locator('.vak-copied').textContent())
      .toBe('Copied to the clipboard.')
    await tabTo('I have stored it')
    await page.keyboard.press('Enter')
    expect(await page.evaluate('document.activeElement.name')).toBe('name')
    const [created] = await app.auth.listKeys('dave')
    expect(created?.scopes).toEqual(['models:read'])

    await tabTo('Revoke key keyboard key')
    await page.keyboard.press('Enter')
    expect(await focused()).toBe('Cancel')
    await page.keyboard.press('Escape')
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0)
    await tabTo('Revoke key keyboard key')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('Revoke key')
    await page.keyboard.press('Enter')
    await expect.poll(() => rowOf(page, 'keyboard key').getAttribute('data-status')).toBe('revoked')
  })

  test('axe-core finds no serious or critical violation, with keys listed and a key shown', async () => {
    const page = await open('erin')
    await page.getByLabel('Name').fill('audited')
    await page.getByRole('button', { name: 'Create key' }).click()
    await page.getByLabel('Your new key').waitFor()
    // Evaluated through the DevTools protocol, so the page's CSP (no inline script) still holds.
    await page.evaluate(AXE)
    const violations = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as {
          axe: {
            run(): Promise<{
              violations: { id: string; impact: string | null; nodes: unknown[] }[]
            }>
          }
        }
      ).axe
      const result = await axe.run()
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }))
    })
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([])
  })

  test('the page needs the session; the module and stylesheet are public, typed and not sniffable', async () => {
    const anonymous = await fetch(`${app.url}${PAGE}`)
    expect(anonymous.status).toBe(401)
    const script = await fetch(`${app.url}${PAGE}/vydra-api-keys.js`)
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(script.headers.get('x-content-type-options')).toBe('nosniff')
    const source = await script.text()
    expect(source).not.toMatch(/\binnerHTML\b|\beval\(|new Function/)
    const css = await fetch(`${app.url}${PAGE}/vydra-api-keys.css`)
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect(await css.text()).toContain('--vak-accent')
    expect((await fetch(`${app.url}${PAGE}`, { method: 'POST' })).status).toBe(405)
  })
})

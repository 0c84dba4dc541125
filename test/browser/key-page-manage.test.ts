/**
 * `<vydra-api-keys>` beyond the first page and beyond create/revoke, in headless Chromium against
 * the real routes: "Load more" over the paged list and the status filter (keyboard, focus, live
 * region), editing a key (PATCH: rename, narrow scopes, earlier expiry; widening refused naming
 * the field), roll's one-time key with the grace end, and each error code the page can meet
 * rendered as a human message. Screenshots go to .tmp/screenshots/.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { AUTH_ERROR_STATUS } from '../../src/index.js'
import { chromiumRuns, launch } from './chromium.js'
import { type PageApp, startPageApp } from './key-page-app.js'

const SHOTS = resolve(import.meta.dirname, '../../.tmp/screenshots')
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const PAGE = '/api/v1/api-keys/ui'
const DAY = 86_400_000

describe.runIf(chromiumRuns())('the key page: pages, filter, edit, errors (Chromium)', () => {
  let app: PageApp
  let browser: Awaited<ReturnType<typeof launch>>
  let context: BrowserContext
  const cspErrors: string[] = []

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    app = await startPageApp()
    browser = await launch()
    context = browser.context
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  async function signIn(userId: string): Promise<void> {
    await context.clearCookies()
    await context.addCookies([
      { name: '__session', value: await app.session(userId), url: app.url },
    ])
  }

  async function open(userId: string): Promise<Page> {
    await signIn(userId)
    const page = await context.newPage()
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspErrors.push(message.text())
    })
    await page.goto(`${app.url}${PAGE}`)
    await page.locator('vydra-api-keys table[aria-busy]').waitFor({ state: 'detached' })
    return page
  }

  const focused = (page: Page): Promise<string> =>
    page.evaluate(
      "(e => e?.getAttribute('aria-label') ?? e?.textContent?.trim() ?? '')(document.activeElement)",
    )
  const rows = (page: Page) => page.locator('tbody tr[data-key-id]')
  const rowOf = (page: Page, name: string) =>
    page.locator('tbody tr', { has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) })
  const listStatus = (page: Page) => page.locator('.vak-list-status').textContent()

  async function axeSerious(page: Page): Promise<unknown[]> {
    await page.evaluate(AXE) // through the DevTools protocol: the page's CSP still holds
    const violations = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as {
          axe: { run(): Promise<{ violations: { id: string; impact: string | null }[] }> }
        }
      ).axe
      return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact }))
    })
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  }

  async function createThroughPage(page: Page, name: string, scopes: string[] = []): Promise<void> {
    await page.getByLabel('Name', { exact: true }).fill(name)
    for (const scope of scopes) await page.getByLabel(scope, { exact: true }).check()
    await page.getByRole('button', { name: 'Create key' }).click()
    await page.getByRole('button', { name: 'I have stored it' }).click()
    await expect.poll(() => rowOf(page, name).getAttribute('data-status')).toBe('active')
  }

  test('more than one page: Load more by keyboard, focus on the first new key, status filter, actions keep the view', async () => {
    // 22 revoked keys, then 3 active ones: oldest first, so the active keys are on page 2.
    for (let i = 1; i <= 25; i++) {
      const name = `key ${String(i).padStart(2, '0')}`
      const created = await app.auth.createKey({ userId: 'paula', name })
      if (i <= 22) await app.auth.revokeKey({ userId: 'paula', keyId: created.id })
      await new Promise((r) => setTimeout(r, 3)) // distinct creation times: a stable order
    }
    const page = await open('paula')
    await expect.poll(() => rows(page).count()).toBe(20)
    expect(await listStatus(page)).toBe('Showing 20 keys. More are available.')
    const more = page.getByRole('button', { name: 'Load more keys' })
    expect(await more.isVisible()).toBe(true)

    await more.focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => rows(page).count()).toBe(25)
    // Focus moves to the first key added, and the live region says what is shown.
    expect(await page.evaluate('document.activeElement.tagName')).toBe('TH')
    expect(await focused(page)).toBe('key 21')
    expect(await listStatus(page)).toBe('Showing 25 keys.')
    expect(await more.isHidden()).toBe(true)
    expect(await page.locator('.vak-list-status').getAttribute('aria-live')).toBe('polite')
    await page.screenshot({ path: join(SHOTS, 'key-page-paged.png'), fullPage: true })

    // A change to a key of page 2 keeps both pages on screen; focus lands on the counterpart.
    await rowOf(page, 'key 24').getByRole('button', { name: 'Disable key key 24' }).click()
    await expect.poll(() => rowOf(page, 'key 24').getAttribute('data-status')).toBe('disabled')
    expect(await rows(page).count()).toBe(25)
    expect(await focused(page)).toBe('Enable key key 24')

    // The filter, by keyboard: the list restarts at page 1 of the chosen status.
    await page.getByLabel('Show').focus()
    await page.getByLabel('Show').selectOption('active')
    await expect.poll(() => rows(page).count()).toBe(2)
    expect(
      await rows(page).evaluateAll((r) => r.map((e) => e.getAttribute('data-status'))),
    ).toEqual(['active', 'active'])
    expect(await listStatus(page)).toBe('Showing 2 active keys.')
    await page.getByLabel('Show').selectOption('disabled')
    await expect.poll(() => rows(page).count()).toBe(1)
    await page.getByLabel('Show').selectOption('expired')
    await expect.poll(() => page.locator('.vak-empty').textContent()).toBe('No expired keys.')
    await page.getByLabel('Show').selectOption('revoked')
    await expect.poll(() => rows(page).count()).toBe(20)
    expect(await listStatus(page)).toBe('Showing 20 revoked keys. More are available.')
    await more.click()
    await expect.poll(() => rows(page).count()).toBe(22)
    expect(await more.isHidden()).toBe(true)
    expect(await axeSerious(page)).toEqual([])
    expect(cspErrors).toEqual([])
  })

  test('edit: rename, narrow the scopes, an earlier expiry; widening and a later expiry are refused naming the field', async () => {
    const page = await open('edgar')
    await page.getByLabel('Expires').selectOption('90')
    await createThroughPage(page, 'E1', ['models:read', 'models:write'])
    const [key] = await app.auth.listKeys('edgar')
    const expiresAt = key?.expiresAt?.getTime() ?? 0

    await page.getByRole('button', { name: 'Edit key E1' }).click()
    const dialog = page.getByRole('dialog', { name: 'Edit key "E1"' })
    await dialog.waitFor()
    // Focus in the name field, which holds the name.
    expect(
      await page.evaluate('[document.activeElement.name, document.activeElement.value]'),
    ).toEqual(['name', 'E1'])
    expect(await dialog.getByLabel('Key scopes').inputValue()).toBe('models:read models:write')

    // Widening: 400 VALIDATION_ERROR naming scopes, shown in the dialog, focus on that field.
    await dialog.getByLabel('Key scopes').fill('models:read jobs:read')
    await dialog.getByRole('button', { name: 'Save changes' }).click()
    const dialogAlert = dialog.getByRole('alert')
    await expect
      .poll(() => dialogAlert.textContent())
      .toContain('Check the form. scopes.1: would widen the key')
    expect(await page.evaluate('document.activeElement.name')).toBe('scopes')
    await page.screenshot({ path: join(SHOTS, 'key-page-edit-refused.png') })
    expect(await axeSerious(page)).toEqual([])

    // A later expiry: refused naming expiresAt.
    await dialog.getByLabel('Key scopes').fill('models:read models:write')
    const later = new Date(expiresAt + 30 * DAY).toISOString().slice(0, 10)
    await dialog.getByLabel('Expires on').fill(later)
    await dialog.getByRole('button', { name: 'Save changes' }).click()
    await expect.poll(() => dialogAlert.textContent()).toContain('expiresAt: would extend the key')
    expect(await page.evaluate('document.activeElement.name')).toBe('expiresAt')

    // Rename, narrow and bring the expiry forward: one PATCH, the row and the service agree.
    const earlier = new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10)
    await dialog.getByLabel('Key name').fill('E1 narrowed')
    await dialog.getByLabel('Key scopes').fill('models:read')
    await dialog.getByLabel('Expires on').fill(earlier)
    await page.screenshot({ path: join(SHOTS, 'key-page-edit.png') })
    await dialog.getByRole('button', { name: 'Save changes' }).click()
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0)
    const row = rowOf(page, 'E1 narrowed')
    await expect.poll(() => row.count()).toBe(1)
    expect(await row.locator('td').nth(1).textContent()).toBe('models:read')
    expect(await page.locator('.vak-status').textContent()).toBe('Key "E1 narrowed" updated.')
    expect(await focused(page)).toBe('Edit key E1 narrowed')
    const [after] = await app.auth.listKeys('edgar')
    expect(after?.name).toBe('E1 narrowed')
    expect(after?.scopes).toEqual(['models:read'])
    expect(after?.expiresAt?.toISOString().slice(0, 10)).toBe(earlier)
    expect(after?.expiresAt?.getTime()).toBeLessThan(expiresAt)

    // Nothing changed: no request, the dialog closes and says so.
    await page.getByRole('button', { name: 'Edit key E1 narrowed' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Save changes' }).click()
    expect(await page.locator('.vak-status').textContent()).toBe(
      'Nothing changed on key "E1 narrowed".',
    )
  })

  test('keyboard only: open Edit, change the name, save with Enter; Escape closes and returns focus', async () => {
    const page = await open('kim')
    await createThroughPage(page, 'kb')
    const tabTo = async (label: string): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab')
        if ((await focused(page)) === label) return
      }
      throw new Error(`Tab never reached ${label}`)
    }
    // The dialog focuses its first field once it has opened: wait for that before typing, or
    // the keys land on whatever had focus a moment before (a flake seen 1 run in 3).
    const nameFieldFocused = (): Promise<unknown> =>
      expect.poll(() => page.evaluate('document.activeElement.name')).toBe('name')
    await tabTo('Edit key kb')
    await page.keyboard.press('Enter')
    await nameFieldFocused()
    await page.keyboard.press('Escape')
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0)
    expect(await focused(page)).toBe('Edit key kb')
    await page.keyboard.press('Enter')
    await nameFieldFocused()
    await page.keyboard.press('End')
    await page.keyboard.type(' 2')
    await page.keyboard.press('Enter') // submits the form
    await expect.poll(() => rowOf(page, 'kb 2').count()).toBe(1)
    expect(await focused(page)).toBe('Edit key kb 2')
  })

  test('roll shows the new key once with the warning and when the previous key stops working', async () => {
    const page = await open('rory')
    await createThroughPage(page, 'to roll')
    await page.getByRole('button', { name: 'Roll key to roll' }).click()
    await page
      .getByRole('dialog', { name: 'Roll this key?' })
      .getByRole('button', { name: 'Roll key' })
      .click()
    const panel = page.getByRole('region', { name: 'New key' })
    await expect.poll(() => panel.locator('h3').textContent()).toBe('Key "to roll" rolled')
    expect(await panel.locator('.vak-warning').textContent()).toBe(
      'Store this key securely. It will not be shown again.',
    )
    expect(await panel.locator('.vak-grace').textContent()).toMatch(
      /^The old key works until .+\.$/,
    )
    expect(await panel.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true)
    await page.screenshot({ path: join(SHOTS, 'key-page-rolled.png'), fullPage: true })
    const key = await panel.getByLabel('Your new key').inputValue()
    await panel.getByRole('button', { name: 'I have stored it' }).click()
    expect(await page.content()).not.toContain(key)
  })

  test('each error code is a human message: 409, 404, 403, 429 with Retry-After, 503 with retry, 401', async () => {
    const page = await open('gina')
    const alert = page.locator('.vak-card > .vak-alert')
    await createThroughPage(page, 'g1')
    await createThroughPage(page, 'g2')
    const keys = await app.auth.listKeys('gina')
    const g1 = keys.find((k) => k.name === 'g1')
    const editAndRename = async (name: string, to: string) => {
      await page.getByRole('button', { name: `Edit key ${name}` }).click()
      await page.getByRole('dialog').getByLabel('Key name').fill(to)
      await page.getByRole('dialog').getByRole('button', { name: 'Save changes' }).click()
    }

    // 409 KEY_STATE_CONFLICT: revoked elsewhere while the page shows it active.
    await app.auth.revokeKey({ userId: 'gina', keyId: g1?.id ?? '' })
    await editAndRename('g1', 'renamed')
    await expect.poll(() => alert.getAttribute('data-code')).toBe('KEY_STATE_CONFLICT')
    expect(await alert.textContent()).toContain('This key can no longer be changed this way')
    await expect.poll(() => rowOf(page, 'g1').getAttribute('data-status')).toBe('revoked')
    await page.screenshot({ path: join(SHOTS, 'key-page-conflict.png'), fullPage: true })

    // 403 CSRF_REJECTED: the real check, with the request made to look cross-site.
    // The browser will not forge its own Origin: the request is replayed from outside with one.
    await page.route('**/api/v1/api-keys/*/disable', async (route) => {
      const headers = { ...route.request().headers(), origin: 'http://evil.example' }
      await route.fulfill({ response: await route.fetch({ headers }) })
    })
    await page.getByRole('button', { name: 'Disable key g2' }).click()
    await expect.poll(() => alert.getAttribute('data-code')).toBe('CSRF_REJECTED')
    expect(await alert.textContent()).toBe(
      'The request was refused as cross-site. Reload the page and try again.',
    )
    await page.unroute('**/api/v1/api-keys/*/disable')

    // 429 from a limiter or proxy in front of the routes: the wait, and a Retry that works.
    let limited = 1
    await page.route('**/api/v1/api-keys/*', (route) => {
      if (route.request().method() !== 'PATCH' || limited-- <= 0) return route.continue()
      return route.fulfill({
        status: 429,
        headers: { 'retry-after': '12', 'content-type': 'application/json' },
        body: JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'Rate limit exceeded' } }),
      })
    })
    await editAndRename('g2', 'g2 once')
    const dialogAlert = page.getByRole('dialog').getByRole('alert')
    await expect
      .poll(() => dialogAlert.locator('p').textContent())
      .toBe('Too many requests. Try again in 12 seconds.')
    await dialogAlert.getByRole('button', { name: 'Retry' }).click()
    await expect.poll(() => rowOf(page, 'g2 once').count()).toBe(1)
    await page.unroute('**/api/v1/api-keys/*')

    // 503 AUTH_UNAVAILABLE: the store is down; the form stays, Retry once it is back.
    app.setDown(true)
    await editAndRename('g2 once', 'g2 twice')
    await expect
      .poll(() => dialogAlert.locator('p').textContent())
      .toMatch(/^The service is temporarily unavailable\. Try again in \d+ seconds?\.$/)
    app.setDown(false)
    await dialogAlert.getByRole('button', { name: 'Retry' }).click()
    await expect.poll(() => rowOf(page, 'g2 twice').count()).toBe(1)

    // 404 KEY_NOT_FOUND: the session now belongs to someone else, who does not own the key.
    await signIn('hank')
    await page.getByRole('button', { name: 'Disable key g2 twice' }).click()
    await expect.poll(() => alert.getAttribute('data-code')).toBe('KEY_NOT_FOUND')
    expect(await alert.textContent()).toBe(
      'This key no longer exists. The list has been refreshed.',
    )
    await expect.poll(() => page.locator('.vak-empty').textContent()).toBe('No keys yet.')

    // 401 SESSION_REQUIRED: signed out; the element also tells the host page.
    await context.clearCookies()
    await page.evaluate(
      "document.querySelector('vydra-api-keys').addEventListener('vydra-session-required', () => { document.body.dataset.signedOut = 'yes' })",
    )
    await page.getByLabel('Show').selectOption('active')
    await expect.poll(() => alert.getAttribute('data-code')).toBe('SESSION_REQUIRED')
    expect(await alert.locator('p').textContent()).toBe(
      'Your session has ended. Sign in again, then retry.',
    )
    expect(await page.evaluate('document.body.dataset.signedOut')).toBe('yes')
    expect(cspErrors).toEqual([])
  })

  test('every error code of the library has its own human message, never the raw server text', async () => {
    const page = await open('ivy')
    const module = JSON.stringify(`${app.url}${PAGE}/vydra-api-keys.js`)
    const codes = Object.entries(AUTH_ERROR_STATUS)
    const messages = (await page.evaluate(
      `import(${module}).then(({ describeFailure }) => ${JSON.stringify(codes)}.map(([code, status]) =>
        describeFailure(status, { error: { code, message: 'RAW SERVER TEXT' } }, '3')))`,
    )) as { message: string; code: string; retry: boolean }[]
    messages.forEach((m, i) => {
      const [code, status] = codes[i] as [keyof typeof AUTH_ERROR_STATUS, number]
      expect(m.code).toBe(code)
      expect(m.message, code).not.toContain('RAW SERVER TEXT')
      expect(m.message, code).not.toMatch(/^Something went wrong/)
      expect(m.retry, code).toBe(status === 429 || status === 503)
      if (m.retry) expect(m.message, code).toMatch(/Try again in 3 seconds\.$/)
    })
  })
})

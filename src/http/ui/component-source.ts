/**
 * The `<vydra-api-keys>` custom element, as the source of one dependency-free ES module that the
 * key routes serve (`<basePath>/ui/vydra-api-keys.js`). It builds its DOM with
 * `createElement`/`textContent` only (no `innerHTML`, no inline script or style, no `eval`), so
 * it runs under a strict Content-Security-Policy, and never puts server data into markup.
 * Kept as a string (without template literals) so that every build ships the same bytes.
 * @module
 */

/** The element's ES module. */
export const COMPONENT_SOURCE = String.raw`// <vydra-api-keys>: the API keys settings card of @vydra/auth. No dependencies.
const MESSAGES = {
  SESSION_REQUIRED: 'Your session has ended. Sign in again, then retry.',
  CSRF_REJECTED: 'The request was refused as cross-site. Reload the page and try again.',
  INSUFFICIENT_SCOPE: 'You are not allowed to manage these keys.',
  KEY_LIMIT_REACHED: 'You have reached the maximum number of active keys. Revoke one you no longer use, then try again.',
  KEY_NOT_FOUND: 'This key no longer exists. The list has been refreshed.',
  KEY_STATE_CONFLICT: 'This key changed in the meantime. The list has been refreshed.',
  PAYLOAD_TOO_LARGE: 'The form is too large. Shorten the name or the scopes.',
  METHOD_NOT_ALLOWED: 'The server does not offer this action.',
  NOT_SUPPORTED: 'The server does not offer this action.',
}
const BY_STATUS = {
  401: MESSAGES.SESSION_REQUIRED,
  403: 'You are not allowed to do this.',
  404: MESSAGES.KEY_NOT_FOUND,
  409: 'This conflicts with the current state. The list has been refreshed.',
  429: 'Too many requests.',
  503: 'The service is temporarily unavailable.',
}
const EXPIRY_CHOICES = [30, 90, 365]

function h(tag, attributes, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === undefined || value === null) continue
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value)
    else if (name === 'text') element.textContent = value
    else element.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      element.append(typeof child === 'string' ? document.createTextNode(child) : child)
    }
  }
  return element
}

let counter = 0
const uid = (name) => 'vak-' + name + '-' + (++counter)

function formatDate(value) {
  if (value === null || value === undefined) return null
  const date = new Date(value)
  return { text: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(date), iso: value }
}

function statusOf(key, now) {
  if (key.revokedAt) return 'revoked'
  if (key.disabledAt) return 'disabled'
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return 'expired'
  return 'active'
}

/** What the user should read for a failed call: a human sentence per error code. */
export function describeFailure(status, body, retryAfter) {
  const error = (body && body.error) || {}
  let message = MESSAGES[error.code] || BY_STATUS[status] || error.message || 'Something went wrong (HTTP ' + status + ').'
  if (error.code === 'VALIDATION_ERROR' && Array.isArray(error.issues)) {
    const details = error.issues.map((issue) => (issue.path && issue.path.length ? issue.path.join('.') + ': ' : '') + issue.message)
    message = 'Check the form. ' + details.join('; ')
  }
  const seconds = Number.parseInt(retryAfter || '', 10)
  if ((status === 503 || status === 429) && Number.isFinite(seconds)) {
    message += ' Try again in ' + seconds + ' second' + (seconds === 1 ? '' : 's') + '.'
  }
  return { message, code: error.code || 'HTTP_' + status, retry: status === 503 || status === 429 || status === 0, retryAfter: Number.isFinite(seconds) ? seconds : null }
}

export class VydraApiKeys extends HTMLElement {
  connectedCallback() {
    if (this.built) return
    this.built = true
    this.basePath = (this.getAttribute('base-path') || '/api/v1/api-keys').replace(/\/$/, '')
    const registry = (this.getAttribute('scopes') || '').split(/\s+/).filter(Boolean)
    this.maxDays = Number.parseInt(this.getAttribute('max-expires-in-days') || '3650', 10)
    this.classList.add('vak')
    const title = uid('title')
    this.statusLine = h('p', { class: 'vak-status', role: 'status', 'aria-live': 'polite' })
    this.alertBox = h('div', { class: 'vak-alert', role: 'alert', hidden: true })
    this.form = this.buildForm(registry)
    this.secretPanel = h('section', { class: 'vak-secret', hidden: true, 'aria-label': 'New key' })
    this.tableBody = h('tbody')
    this.table = h('table', { class: 'vak-table' },
      h('caption', { text: 'Your API keys' }),
      h('thead', {}, h('tr', {}, ['Name', 'Prefix', 'Scopes', 'Created', 'Last used', 'Expires', 'Status', 'Actions'].map((name) => h('th', { scope: 'col', text: name })))),
      this.tableBody)
    this.dialog = this.buildDialog()
    this.append(h('section', { class: 'vak-card', 'aria-labelledby': title },
      h('h2', { id: title, text: 'API keys' }),
      h('p', { class: 'vak-intro', text: 'Keys let your programs call the API as you. Each key is shown once, when it is created.' }),
      this.alertBox, this.form, this.secretPanel, this.statusLine,
      h('div', { class: 'vak-table-wrap' }, this.table), this.dialog))
    this.load()
  }

  buildForm(registry) {
    const nameId = uid('name')
    const expiryId = uid('expiry')
    this.nameInput = h('input', { id: nameId, name: 'name', required: true, maxlength: 100, autocomplete: 'off' })
    let scopes
    if (registry.length > 0) {
      this.scopeBoxes = registry.map((scope) => h('input', { type: 'checkbox', name: 'scopes', value: scope }))
      scopes = h('fieldset', { class: 'vak-scopes' }, h('legend', { text: 'Scopes (none checked: full access)' }),
        this.scopeBoxes.map((box) => h('label', {}, box, ' ' + box.value)))
    } else {
      const scopesId = uid('scopes')
      this.scopesInput = h('input', { id: scopesId, name: 'scopes', autocomplete: 'off', placeholder: 'models:read jobs:read' })
      scopes = h('div', { class: 'vak-field' }, h('label', { for: scopesId, text: 'Scopes (space-separated; empty: full access)' }), this.scopesInput)
    }
    this.expirySelect = h('select', { id: expiryId, name: 'expiresInDays' }, h('option', { value: '', text: 'Never' }),
      EXPIRY_CHOICES.filter((days) => days <= this.maxDays).map((days) => h('option', { value: days, text: days + ' days' })))
    this.createButton = h('button', { type: 'submit', class: 'vak-primary', text: 'Create key' })
    return h('form', { class: 'vak-form', onsubmit: (event) => { event.preventDefault(); this.create() } },
      h('div', { class: 'vak-field' }, h('label', { for: nameId, text: 'Name' }), this.nameInput),
      scopes,
      h('div', { class: 'vak-field' }, h('label', { for: expiryId, text: 'Expires' }), this.expirySelect),
      this.createButton)
  }

  buildDialog() {
    const title = uid('confirm')
    const text = uid('confirm-text')
    this.confirmTitle = h('h3', { id: title, text: 'Revoke this key?' })
    this.confirmText = h('p', { id: text })
    this.confirmButton = h('button', { type: 'button', class: 'vak-danger', text: 'Revoke key', onclick: () => this.confirmed() })
    const cancel = h('button', { type: 'button', text: 'Cancel', autofocus: true, onclick: () => this.dialog.close() })
    return h('dialog', { class: 'vak-dialog', 'aria-labelledby': title, 'aria-describedby': text },
      this.confirmTitle, this.confirmText, h('div', { class: 'vak-actions' }, cancel, this.confirmButton))
  }

  confirmed() {
    const action = this.pending && this.pending.action
    if (action === 'roll') this.confirmRoll()
    else this.confirmRevoke()
  }

  async call(method, path, body) {
    const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } }
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    let response
    try {
      response = await fetch(this.basePath + path, init)
    } catch {
      throw { message: 'Could not reach the server. Check your connection, then retry.', code: 'NETWORK', retry: true }
    }
    const data = await response.json().catch(() => null)
    if (!response.ok) throw describeFailure(response.status, data, response.headers.get('retry-after'))
    return data
  }

  showError(failure, again) {
    this.alertBox.replaceChildren(h('p', { text: failure.message }))
    this.alertBox.dataset.code = failure.code
    if (failure.retry && again) {
      this.alertBox.append(h('button', { type: 'button', class: 'vak-retry', text: 'Retry', onclick: () => again() }))
    }
    if (failure.code === 'SESSION_REQUIRED') {
      this.dispatchEvent(new CustomEvent('vydra-session-required', { bubbles: true }))
    }
    this.alertBox.hidden = false
  }

  clearError() {
    this.alertBox.hidden = true
    this.alertBox.replaceChildren()
    delete this.alertBox.dataset.code
  }

  async load() {
    this.table.setAttribute('aria-busy', 'true')
    try {
      const data = await this.call('GET', '')
      this.render(data.keys || [])
      return true
    } catch (failure) {
      this.showError(failure, () => this.load())
      return false
    } finally {
      this.table.removeAttribute('aria-busy')
    }
  }

  render(keys) {
    const now = Date.now()
    const cell = (value) => {
      const date = formatDate(value)
      return h('td', {}, date === null ? '—' : h('time', { datetime: date.iso, text: date.text }))
    }
    const rows = keys.map((key) => {
      const status = statusOf(key, now)
      const actions = h('td', { class: 'vak-row-actions' })
      if (status === 'active') {
        actions.append(h('button', { type: 'button', 'aria-label': 'Roll key ' + key.name, text: 'Roll', onclick: (event) => this.askRoll(key, event.currentTarget) }))
        actions.append(h('button', { type: 'button', 'aria-label': 'Disable key ' + key.name, text: 'Disable', onclick: () => this.setEnabled(key, false) }))
      }
      if (status === 'disabled') {
        actions.append(h('button', { type: 'button', 'aria-label': 'Enable key ' + key.name, text: 'Enable', onclick: () => this.setEnabled(key, true) }))
      }
      if (status === 'active' || status === 'disabled') {
        actions.append(h('button', { type: 'button', class: 'vak-danger', 'aria-label': 'Revoke key ' + key.name, text: 'Revoke', onclick: (event) => this.askRevoke(key, event.currentTarget) }))
      }
      return h('tr', { 'data-key-id': key.id, 'data-status': status },
        h('th', { scope: 'row', text: key.name }), h('td', {}, h('code', { text: key.keyPrefix })),
        h('td', { text: key.scopes.join(' ') }), cell(key.createdAt), cell(key.lastUsedAt), cell(key.expiresAt),
        h('td', {}, h('span', { class: 'vak-badge vak-' + status, text: status })), actions)
    })
    this.tableBody.replaceChildren(...rows)
    if (rows.length === 0) this.tableBody.append(h('tr', {}, h('td', { colspan: 8, class: 'vak-empty', text: 'No keys yet.' })))
  }

  async create() {
    this.clearError()
    const body = { name: this.nameInput.value }
    const scopes = this.scopeBoxes
      ? this.scopeBoxes.filter((box) => box.checked).map((box) => box.value)
      : this.scopesInput.value.split(/\s+/).filter(Boolean)
    if (scopes.length > 0) body.scopes = scopes
    if (this.expirySelect.value !== '') body.expiresInDays = Number(this.expirySelect.value)
    this.createButton.disabled = true
    try {
      const created = await this.call('POST', '', body)
      this.form.reset()
      this.showSecret(created)
      await this.load()
    } catch (failure) {
      this.showError(failure, () => this.create())
      if (failure.code === 'VALIDATION_ERROR') this.nameInput.focus()
    } finally {
      this.createButton.disabled = false
    }
  }

  showSecret(created) {
    const keyId = uid('key')
    const field = h('input', { id: keyId, class: 'vak-key', readonly: true, value: created.key, spellcheck: 'false', autocomplete: 'off' })
    const copied = h('span', { class: 'vak-copied', role: 'status', 'aria-live': 'polite' })
    const copy = h('button', { type: 'button', class: 'vak-primary', text: 'Copy', onclick: async () => {
      try {
        await navigator.clipboard.writeText(created.key)
        copied.textContent = 'Copied to the clipboard.'
      } catch {
        field.select()
        copied.textContent = 'Select the key and copy it (Ctrl+C or Cmd+C).'
      }
    } })
    const done = h('button', { type: 'button', text: 'I have stored it', onclick: () => {
      // The key leaves the page for good: nothing holds it any more.
      this.secretPanel.replaceChildren()
      this.secretPanel.hidden = true
      this.nameInput.focus()
    } })
    this.secretPanel.replaceChildren(
      h('h3', { text: 'Key "' + created.name + '" created' }),
      h('p', { class: 'vak-warning' }, h('strong', { text: created.message || 'Store this key securely. It will not be shown again.' })),
      h('label', { for: keyId, text: 'Your new key' }),
      h('div', { class: 'vak-key-row' }, field, copy), copied, h('div', { class: 'vak-actions' }, done))
    this.secretPanel.hidden = false
    this.statusLine.textContent = 'Key "' + created.name + '" created. Copy it now: it will not be shown again.'
    field.focus()
    field.select()
  }

  askRoll(key, trigger) {
    this.pending = { key, trigger, action: 'roll' }
    this.confirmTitle.textContent = 'Roll this key?'
    this.confirmButton.textContent = 'Roll key'
    this.confirmButton.className = 'vak-primary'
    this.confirmText.textContent = 'A new key replaces "' + key.name + '" and is shown once. The old key keeps working for a grace period, so you can switch your programs over.'
    this.dialog.showModal()
  }

  async confirmRoll() {
    const { key } = this.pending || {}
    this.dialog.close()
    if (!key) return
    this.clearError()
    try {
      const rolled = await this.call('POST', '/' + encodeURIComponent(key.id) + '/roll', {})
      this.showSecret(rolled)
      const end = rolled.previous && rolled.previous.expiresAt ? formatDate(rolled.previous.expiresAt).text : null
      this.statusLine.textContent = 'Key "' + key.name + '" rolled. Copy the new key now: it will not be shown again.' + (end ? ' The old key works until ' + end + '.' : '')
      await this.load()
    } catch (failure) {
      this.showError(failure, () => { this.pending = { key, action: 'roll' }; this.confirmRoll() })
      await this.load()
    }
  }

  async setEnabled(key, enable) {
    this.clearError()
    try {
      await this.call('POST', '/' + encodeURIComponent(key.id) + (enable ? '/enable' : '/disable'), {})
      this.statusLine.textContent = 'Key "' + key.name + '" ' + (enable ? 'enabled.' : 'disabled: programs using it are refused until you enable it.')
    } catch (failure) {
      this.showError(failure, () => this.setEnabled(key, enable))
    }
    await this.load()
    const button = this.tableBody.querySelector('[data-key-id="' + key.id + '"] button')
    if (button) button.focus()
  }

  askRevoke(key, trigger) {
    this.pending = { key, trigger, action: 'revoke' }
    this.confirmTitle.textContent = 'Revoke this key?'
    this.confirmButton.textContent = 'Revoke key'
    this.confirmButton.className = 'vak-danger'
    this.confirmText.textContent = 'Programs using "' + key.name + '" (' + key.keyPrefix + ') will be refused from now on. This cannot be undone.'
    this.dialog.showModal()
  }

  async confirmRevoke() {
    const { key, trigger } = this.pending || {}
    this.dialog.close()
    if (!key) return
    this.clearError()
    try {
      await this.call('DELETE', '/' + encodeURIComponent(key.id))
      this.statusLine.textContent = 'Key "' + key.name + '" revoked.'
    } catch (failure) {
      this.showError(failure, () => { this.pending = { key, trigger, action: 'revoke' }; this.confirmRevoke() })
    }
    await this.load()
    const row = this.tableBody.querySelector('[data-key-id="' + key.id + '"] th')
    if (row) { row.setAttribute('tabindex', '-1'); row.focus() } else if (trigger && trigger.isConnected) trigger.focus()
  }
}

if (!customElements.get('vydra-api-keys')) customElements.define('vydra-api-keys', VydraApiKeys)
`

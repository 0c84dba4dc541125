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
  KEY_STATE_CONFLICT: 'This key can no longer be changed this way: it was revoked, expired or changed in the meantime. The list has been refreshed.',
  PAYLOAD_TOO_LARGE: 'The form is too large. Shorten the name or the scopes.',
  INVALID_JSON: 'The server could not read the request. Reload the page and try again.',
  UNSUPPORTED_MEDIA_TYPE: 'The server could not read the request. Reload the page and try again.',
  METHOD_NOT_ALLOWED: 'The server does not offer this action.',
  NOT_SUPPORTED: 'The server does not offer this action.',
  RATE_LIMITED: 'Too many requests.',
  CREDITS_EXHAUSTED: 'The credits for this action are used up.',
  AUTH_UNAVAILABLE: 'The service is temporarily unavailable.',
  CONFIGURATION_ERROR: 'The server is misconfigured. Contact its administrator.',
}
const BY_STATUS = {
  400: 'The server refused the request. Check the form and try again.',
  401: MESSAGES.SESSION_REQUIRED,
  403: 'You are not allowed to do this.',
  404: MESSAGES.KEY_NOT_FOUND,
  405: MESSAGES.METHOD_NOT_ALLOWED,
  409: 'This conflicts with the current state. The list has been refreshed.',
  413: MESSAGES.PAYLOAD_TOO_LARGE,
  415: MESSAGES.INVALID_JSON,
  429: MESSAGES.RATE_LIMITED,
  500: 'The server failed. Try again later.',
  501: MESSAGES.NOT_SUPPORTED,
  502: 'The service is temporarily unavailable.',
  503: 'The service is temporarily unavailable.',
  504: 'The service is temporarily unavailable.',
}
// Codes only a Bearer caller meets: on this page (a session) they mean the session is not valid.
for (const code of ['MISSING_AUTH', 'INVALID_FORMAT', 'KEY_REVOKED', 'KEY_EXPIRED', 'KEY_DISABLED', 'SIGNATURE_INVALID']) MESSAGES[code] = MESSAGES.SESSION_REQUIRED
const RETRY_STATUSES = [0, 429, 502, 503, 504]
const STATUS_FILTERS = [['all', 'All keys'], ['active', 'Active'], ['disabled', 'Disabled'], ['revoked', 'Revoked'], ['expired', 'Expired']]
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

// A date input's value (local calendar day) for an ISO instant, '' for none.
function dateInputValue(value) {
  if (!value) return ''
  const date = new Date(value)
  const pad = (n) => String(n).padStart(2, '0')
  return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate())
}

/** What the user should read for a failed call: a human sentence per error code. */
export function describeFailure(status, body, retryAfter) {
  const error = (body && body.error) || {}
  // A 401 KEY_NOT_FOUND is a credential refused; a 404 one is a key that is gone.
  const byCode = error.code === 'KEY_NOT_FOUND' && status === 401 ? MESSAGES.SESSION_REQUIRED : MESSAGES[error.code]
  let message = byCode || BY_STATUS[status] || 'Something went wrong (HTTP ' + status + ').'
  let field = null
  if (error.code === 'VALIDATION_ERROR' && Array.isArray(error.issues)) {
    const details = error.issues.map((issue) => (issue.path && issue.path.length ? issue.path.join('.') + ': ' : '') + issue.message)
    message = 'Check the form. ' + details.join('; ')
    const named = error.issues.find((issue) => issue.path && issue.path.length)
    field = named ? String(named.path[0]) : null
  }
  const seconds = Number.parseInt(retryAfter || '', 10)
  const retry = RETRY_STATUSES.includes(status)
  if (retry && Number.isFinite(seconds)) {
    message += ' Try again in ' + seconds + ' second' + (seconds === 1 ? '' : 's') + '.'
  } else if (retry) {
    message += ' Try again in a moment.'
  }
  return { message, code: error.code || 'HTTP_' + status, field, retry, retryAfter: Number.isFinite(seconds) ? seconds : null }
}

export class VydraApiKeys extends HTMLElement {
  connectedCallback() {
    if (this.built) return
    this.built = true
    this.basePath = (this.getAttribute('base-path') || '/api/v1/api-keys').replace(/\/$/, '')
    const registry = (this.getAttribute('scopes') || '').split(/\s+/).filter(Boolean)
    this.maxDays = Number.parseInt(this.getAttribute('max-expires-in-days') || '3650', 10)
    const size = Number.parseInt(this.getAttribute('page-size') || '20', 10)
    this.pageSize = Number.isFinite(size) ? Math.min(Math.max(size, 1), 200) : 20
    this.filter = 'all'
    this.keys = []
    this.nextCursor = null
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
    this.listStatus = h('p', { class: 'vak-list-status', role: 'status', 'aria-live': 'polite' })
    this.moreButton = h('button', { type: 'button', class: 'vak-more', text: 'Load more keys', hidden: true, onclick: () => this.loadMore() })
    this.dialog = this.buildDialog()
    this.editDialog = this.buildEditDialog()
    this.append(h('section', { class: 'vak-card', 'aria-labelledby': title },
      h('h2', { id: title, text: 'API keys' }),
      h('p', { class: 'vak-intro', text: 'Keys let your programs call the API as you. Each key is shown once, when it is created.' }),
      this.alertBox, this.form, this.secretPanel, this.statusLine, this.buildToolbar(),
      h('div', { class: 'vak-table-wrap' }, this.table),
      h('div', { class: 'vak-pager' }, this.listStatus, this.moreButton), this.dialog, this.editDialog))
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

  buildToolbar() {
    const filterId = uid('filter')
    this.filterSelect = h('select', { id: filterId, name: 'status', onchange: () => this.changeFilter(this.filterSelect.value) },
      STATUS_FILTERS.map(([value, text]) => h('option', { value, text })))
    return h('div', { class: 'vak-toolbar' }, h('label', { for: filterId, text: 'Show' }), this.filterSelect)
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

  buildEditDialog() {
    const title = uid('edit')
    const hint = uid('edit-hint')
    this.editTitle = h('h3', { id: title, text: 'Edit key' })
    this.editAlert = h('div', { class: 'vak-alert', role: 'alert', hidden: true })
    this.editBody = h('div')
    const dialog = h('dialog', { class: 'vak-dialog vak-edit', 'aria-labelledby': title, 'aria-describedby': hint },
      this.editTitle,
      h('p', { id: hint, text: 'Rename the key, remove scopes or make it expire sooner. A key\'s access can only be narrowed: to give more, create a new key.' }),
      this.editAlert, this.editBody)
    // Closing by Escape or Cancel returns focus to the row's Edit button; the form leaves the page.
    // The close event is queued: a quick Escape then Enter can reopen the dialog before it fires,
    // and clearing the form then would empty the reopened dialog. Only a dialog still closed is
    // cleaned up.
    dialog.addEventListener('close', () => {
      if (dialog.open) return
      const { trigger } = this.editing || {}
      this.editBody.replaceChildren()
      if (!this.editSaved && trigger && trigger.isConnected) trigger.focus()
    })
    return dialog
  }

  // The edit form, built when the dialog opens (so its labels never shadow the create form's).
  buildEditForm(key) {
    const ids = { name: uid('edit-name'), scopes: uid('edit-scopes'), expiresAt: uid('edit-expiry') }
    this.editFields = {
      name: h('input', { id: ids.name, name: 'name', required: true, maxlength: 100, autocomplete: 'off', value: key.name }),
      scopes: h('input', { id: ids.scopes, name: 'scopes', autocomplete: 'off', value: key.scopes.join(' ') }),
      expiresAt: h('input', { id: ids.expiresAt, name: 'expiresAt', type: 'date', value: dateInputValue(key.expiresAt) }),
    }
    this.saveButton = h('button', { type: 'submit', class: 'vak-primary', text: 'Save changes' })
    const cancel = h('button', { type: 'button', text: 'Cancel', onclick: () => this.editDialog.close() })
    const field = (name, label) => h('div', { class: 'vak-field' }, h('label', { for: ids[name], text: label }), this.editFields[name])
    return h('form', { class: 'vak-edit-form', onsubmit: (event) => { event.preventDefault(); this.saveEdit() } },
      field('name', 'Key name'), field('scopes', 'Key scopes (space-separated)'), field('expiresAt', 'Expires on'),
      h('div', { class: 'vak-actions' }, cancel, this.saveButton))
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

  showError(failure, again, box) {
    const target = box || this.alertBox
    target.replaceChildren(h('p', { text: failure.message }))
    target.dataset.code = failure.code
    if (failure.retry && again) {
      target.append(h('button', { type: 'button', class: 'vak-retry', text: 'Retry', onclick: () => again() }))
    }
    if (failure.code === 'SESSION_REQUIRED') {
      this.dispatchEvent(new CustomEvent('vydra-session-required', { bubbles: true }))
    }
    target.hidden = false
  }

  clearError(box) {
    const target = box || this.alertBox
    target.hidden = true
    target.replaceChildren()
    delete target.dataset.code
  }

  listPath(cursor) {
    const query = new URLSearchParams({ limit: String(this.pageSize), status: this.filter })
    if (cursor) query.set('cursor', cursor)
    return '?' + query.toString()
  }

  /** The first page, or (keep) as many pages as are shown now, so that a change keeps the view. */
  async load(keep) {
    const wanted = keep ? Math.max(this.keys.length, this.pageSize) : this.pageSize
    this.table.setAttribute('aria-busy', 'true')
    try {
      let keys = []
      let cursor = null
      do {
        const data = await this.call('GET', this.listPath(cursor))
        keys = keys.concat(data.keys || [])
        cursor = data.nextCursor || null
      } while (cursor && keys.length < wanted)
      this.keys = keys
      this.nextCursor = cursor
      this.render()
      return true
    } catch (failure) {
      this.showError(failure, () => this.load(keep))
      return false
    } finally {
      this.table.removeAttribute('aria-busy')
    }
  }

  async loadMore() {
    if (!this.nextCursor) return
    this.moreButton.disabled = true
    this.table.setAttribute('aria-busy', 'true')
    try {
      const data = await this.call('GET', this.listPath(this.nextCursor))
      const added = data.keys || []
      this.keys = this.keys.concat(added)
      this.nextCursor = data.nextCursor || null
      this.render()
      this.clearError()
      // Focus moves to the first key loaded, so keyboard users continue where the list grew.
      const first = added[0] && this.rowHeader(added[0].id)
      if (first) first.focus()
      else this.filterSelect.focus()
    } catch (failure) {
      this.showError(failure, () => this.loadMore())
    } finally {
      this.moreButton.disabled = false
      this.table.removeAttribute('aria-busy')
    }
  }

  async changeFilter(value) {
    this.filter = value
    this.clearError()
    await this.load()
  }

  rowHeader(id) {
    const cell = this.tableBody.querySelector('tr[data-key-id="' + CSS.escape(id) + '"] th')
    if (cell) cell.setAttribute('tabindex', '-1')
    return cell
  }

  render() {
    const now = Date.now()
    const cell = (value) => {
      const date = formatDate(value)
      return h('td', {}, date === null ? '—' : h('time', { datetime: date.iso, text: date.text }))
    }
    const button = (label, key, text, onclick, className) =>
      h('button', { type: 'button', class: className, 'aria-label': label + ' key ' + key.name, text, onclick })
    const rows = this.keys.map((key) => {
      const status = key.status || statusOf(key, now)
      const actions = h('td', { class: 'vak-row-actions' })
      if (status === 'active' || status === 'disabled') {
        actions.append(button('Edit', key, 'Edit', (event) => this.askEdit(key, event.currentTarget)))
      }
      if (status === 'active') {
        actions.append(button('Roll', key, 'Roll', (event) => this.askRoll(key, event.currentTarget)))
        actions.append(button('Disable', key, 'Disable', () => this.setEnabled(key, false)))
      }
      if (status === 'disabled') actions.append(button('Enable', key, 'Enable', () => this.setEnabled(key, true)))
      if (status === 'active' || status === 'disabled') {
        actions.append(button('Revoke', key, 'Revoke', (event) => this.askRevoke(key, event.currentTarget), 'vak-danger'))
      }
      return h('tr', { 'data-key-id': key.id, 'data-status': status },
        h('th', { scope: 'row', text: key.name }), h('td', {}, h('code', { text: key.keyPrefix })),
        h('td', { text: key.scopes.join(' ') }), cell(key.createdAt), cell(key.lastUsedAt), cell(key.expiresAt),
        h('td', {}, h('span', { class: 'vak-badge vak-' + status, text: status })), actions)
    })
    this.tableBody.replaceChildren(...rows)
    const kind = this.filter === 'all' ? '' : this.filter + ' '
    if (rows.length === 0) {
      this.tableBody.append(h('tr', {}, h('td', { colspan: 8, class: 'vak-empty', text: this.filter === 'all' ? 'No keys yet.' : 'No ' + kind + 'keys.' })))
    }
    this.moreButton.hidden = !this.nextCursor
    const count = rows.length + ' ' + kind + 'key' + (rows.length === 1 ? '' : 's')
    this.listStatus.textContent = rows.length === 0 ? '' : 'Showing ' + count + (this.nextCursor ? '. More are available.' : '.')
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
      await this.load(true)
    } catch (failure) {
      this.showError(failure, () => this.create())
      if (failure.code === 'VALIDATION_ERROR') this.nameInput.focus()
    } finally {
      this.createButton.disabled = false
    }
  }

  showSecret(created, extra) {
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
      h('h3', { text: (extra && extra.title) || 'Key "' + created.name + '" created' }),
      h('p', { class: 'vak-warning' }, h('strong', { text: created.message || 'Store this key securely. It will not be shown again.' })),
      extra && extra.note ? h('p', { class: 'vak-grace', text: extra.note }) : null,
      h('label', { for: keyId, text: 'Your new key' }),
      h('div', { class: 'vak-key-row' }, field, copy), copied, h('div', { class: 'vak-actions' }, done))
    this.secretPanel.hidden = false
    this.statusLine.textContent = 'Key "' + created.name + '" created. Copy it now: it will not be shown again.'
    field.focus()
    field.select()
  }

  askEdit(key, trigger) {
    this.editing = { key, trigger }
    this.editSaved = false
    this.clearError(this.editAlert)
    this.editTitle.textContent = 'Edit key "' + key.name + '"'
    this.editBody.replaceChildren(this.buildEditForm(key))
    this.editDialog.showModal()
    this.editFields.name.focus()
  }

  /** Only what changed is sent: PATCH narrows, so an unchanged field must not be re-validated. */
  editChanges(key) {
    const body = {}
    const { name, scopes, expiresAt } = this.editFields
    if (name.value !== key.name) body.name = name.value
    const wanted = scopes.value.split(/\s+/).filter(Boolean)
    if (wanted.join(' ') !== key.scopes.join(' ')) body.scopes = wanted
    if (expiresAt.value !== dateInputValue(key.expiresAt)) {
      // A cleared date is sent as is: the server names the field (a key's expiry only moves earlier).
      body.expiresAt = expiresAt.value === '' ? '' : new Date(expiresAt.value + 'T00:00').toISOString()
    }
    return body
  }

  async saveEdit() {
    const { key, trigger } = this.editing || {}
    if (!key) return
    const body = this.editChanges(key)
    this.clearError(this.editAlert)
    if (Object.keys(body).length === 0) {
      this.editDialog.close()
      this.statusLine.textContent = 'Nothing changed on key "' + key.name + '".'
      return
    }
    this.saveButton.disabled = true
    try {
      const updated = await this.call('PATCH', '/' + encodeURIComponent(key.id), body)
      this.editSaved = true
      this.editDialog.close()
      this.clearError()
      this.statusLine.textContent = 'Key "' + updated.name + '" updated.'
      await this.load(true)
      const edit = this.tableBody.querySelector('tr[data-key-id="' + CSS.escape(key.id) + '"] button')
      if (edit) edit.focus()
    } catch (failure) {
      if (['VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE'].includes(failure.code) || failure.retry) {
        // The form stays open with its values: fix the named field, or retry.
        this.showError(failure, () => this.saveEdit(), this.editAlert)
        const named = this.editFields[failure.field]
        if (named) named.focus()
        return
      }
      this.editSaved = true
      this.editDialog.close()
      this.showError(failure)
      await this.load(true)
      if (trigger && trigger.isConnected) trigger.focus()
      else {
        this.alertBox.setAttribute('tabindex', '-1')
        this.alertBox.focus()
      }
    } finally {
      this.saveButton.disabled = false
    }
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
      const end = rolled.previous && rolled.previous.expiresAt ? formatDate(rolled.previous.expiresAt).text : null
      const note = end ? 'The old key works until ' + end + '.' : 'The old key keeps working until the new one is first used, then for its grace period.'
      this.showSecret(rolled, { title: 'Key "' + key.name + '" rolled', note })
      this.statusLine.textContent = 'Key "' + key.name + '" rolled. Copy the new key now: it will not be shown again. ' + note
      await this.load(true)
    } catch (failure) {
      this.showError(failure, () => { this.pending = { key, action: 'roll' }; this.confirmRoll() })
      await this.load(true)
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
    await this.load(true)
    // Focus lands on the opposite action of the same row (Enable after Disable), else the row.
    const row = this.tableBody.querySelector('[data-key-id="' + CSS.escape(key.id) + '"]')
    const next = row && row.querySelector('button[aria-label^="' + (enable ? 'Disable' : 'Enable') + ' "]')
    if (next) next.focus()
    else if (row) this.rowHeader(key.id).focus()
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
    await this.load(true)
    const row = this.rowHeader(key.id)
    if (row) row.focus()
    else if (trigger && trigger.isConnected) trigger.focus()
    else this.filterSelect.focus()
  }
}

if (!customElements.get('vydra-api-keys')) customElements.define('vydra-api-keys', VydraApiKeys)
`

// The collaboration page: a report's sections co-edited live over y-websocket.
//
// Everything shown comes from the report's shared Yjs document, so titles, figures and text
// update as soon as anyone changes them. The bearer token arrives once as ?token= in the
// page address; it is kept in sessionStorage and removed from the address bar.
import * as Y from 'yjs'
import { WebsocketProvider, messageAuth } from 'y-websocket'
import { readAuthMessage } from 'y-protocols/auth'
import { bindTextarea } from './textarea.js'
import { drawCarets } from './carets.js'

const KEY_METRICS = [
  ['budget_utilization', 'Budget used (AC / BAC)', (value) => `${(value * 100).toFixed(1)} %`],
  ['cost_performance', 'Cost performance (CPI)', (value) => value.toFixed(2)],
  ['schedule_performance', 'Schedule performance (SPI)', (value) => value.toFixed(2)],
  ['risk_score', 'Risk score', (value) => value.toFixed(2)]
]

function readToken () {
  const params = new URLSearchParams(location.search)
  const token = params.get('token')
  if (token) {
    sessionStorage.setItem('pmr-token', token)
    params.delete('token')
    const query = params.toString()
    history.replaceState(null, '', location.pathname + (query ? `?${query}` : ''))
    return token
  }
  return sessionStorage.getItem('pmr-token')
}

// The note shown to users without edit permission. The server enforces it on every update.
const PERMISSION_NOTES = {
  comment: 'You can comment on this report through the API; the text is read-only here.',
  view: 'You can view this report; the text is read-only.'
}
// A reason the server gave for refusing a change, shown once after the page reloads.
const NOTICE_KEY = 'pmr-notice'

// The token's subject, for display only: the server verifies the token itself.
function userName (token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    return JSON.parse(atob(payload)).sub ?? 'anonymous'
  } catch {
    return 'anonymous'
  }
}

function colorFor (name) {
  let hash = 0
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0
  return `hsl(${hash % 360} 70% 40%)`
}

function element (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

function formatNumber (value) {
  if (typeof value !== 'number') return value === null || value === undefined ? '–' : String(value)
  return Math.abs(value) >= 1000 ? value.toLocaleString('en', { maximumFractionDigits: 0 }) : String(Math.round(value * 100) / 100)
}

// The index in `text` of a cursor from awareness: a Yjs relative position from a browser,
// or a count of Unicode characters from a JSON client as the server publishes it.
function cursorIndex (doc, ytext, cursor) {
  if (cursor.anchor) {
    const absolute = Y.createAbsolutePositionFromRelativePosition(
      Y.createRelativePositionFromJSON(cursor.anchor), doc
    )
    return absolute && absolute.type === ytext ? absolute.index : null
  }
  if (typeof cursor.position === 'number') {
    return Array.from(ytext.toString()).slice(0, cursor.position).join('').length
  }
  return null
}

class SectionView {
  constructor (page, sectionId, section) {
    this.page = page
    this.sectionId = sectionId
    this.section = section
    this.text = section.get('body')
    this.root = element('article', 'section')
    this.root.dataset.sectionId = sectionId
    this.heading = element('h2')
    this.figures = element('dl', 'figures')
    this.editor = element('div', 'editor')
    this.textarea = element('textarea')
    this.textarea.setAttribute('aria-label', `Text of ${sectionId}`)
    this.textarea.spellcheck = true
    this.textarea.readOnly = !page.canEdit
    this.carets = element('div', 'carets')
    this.editor.append(this.textarea, this.carets)
    this.root.append(this.heading, this.figures, this.editor)
    this.unbind = bindTextarea(this.textarea, this.text, () => this.refresh())
    this.onSection = () => this.render()
    section.observeDeep(this.onSection)
    for (const kind of ['select', 'keyup', 'mouseup', 'focus', 'input']) {
      this.textarea.addEventListener(kind, () => page.publishCursor(this))
    }
    this.textarea.addEventListener('blur', () => page.publishCursor(null))
    this.render()
  }

  render () {
    this.heading.textContent = this.section.get('title') ?? this.sectionId
    const metrics = this.section.get('metrics')?.toJSON() ?? {}
    this.figures.replaceChildren()
    for (const [name, value] of Object.entries(metrics)) {
      this.figures.append(element('dt', null, name), element('dd', null, formatNumber(value)))
    }
    this.refresh()
  }

  refresh () {
    this.textarea.style.height = 'auto'
    this.textarea.style.height = `${this.textarea.scrollHeight + 2}px`
    this.drawCarets()
  }

  drawCarets () {
    const cursors = []
    for (const [clientId, state] of this.page.awareness.getStates()) {
      if (clientId === this.page.doc.clientID || !state.cursor || !state.user) continue
      if (state.cursor.section_id !== this.sectionId) continue
      const index = cursorIndex(this.page.doc, this.text, state.cursor)
      if (index === null) continue
      const name = state.user.name ?? 'someone'
      cursors.push({ name, color: state.user.color ?? colorFor(name), index })
    }
    drawCarets(this.carets, this.textarea, cursors)
  }

  destroy () {
    this.unbind()
    this.section.unobserveDeep(this.onSection)
    this.root.remove()
  }
}

class ReportPage {
  constructor (root, token, permission) {
    this.root = root
    this.canEdit = permission === 'edit'
    this.doc = new Y.Doc()
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
    this.provider = new WebsocketProvider(
      `${scheme}//${location.host}/ws/reports/pmr`, `${root.dataset.reportId}/collaborate`, this.doc,
      { params: { token } }
    )
    // The server rejects a change it will not store with an auth message. The change stays
    // in this page's document, so the page reloads to start again from the server's copy.
    this.provider.messageHandlers[messageAuth] = (_encoder, decoder) => {
      readAuthMessage(decoder, this.doc, (_doc, reason) => {
        sessionStorage.setItem(NOTICE_KEY, `Your last change was not saved: ${reason}`)
        location.reload()
      })
    }
    this.awareness = this.provider.awareness
    const name = userName(token)
    this.awareness.setLocalStateField('user', { name, color: colorFor(name) })
    this.views = new Map()
    this.doc.getMap('meta').observe(() => this.renderHeader())
    this.doc.getMap('metrics').observeDeep(() => this.renderMetrics())
    this.doc.getMap('sections').observe(() => this.renderSections())
    this.awareness.on('change', () => this.renderPresence())
    this.provider.on('status', ({ status }) => this.showStatus(status))
    this.provider.on('sync', (synced) => synced && this.showStatus('synced'))
    addEventListener('resize', () => this.views.forEach((view) => view.refresh()))
  }

  showStatus (status) {
    const badge = document.getElementById('status')
    badge.textContent = status
    badge.dataset.status = status
  }

  renderHeader () {
    const meta = this.doc.getMap('meta').toJSON()
    document.getElementById('title').textContent = meta.title ?? 'Report'
    document.title = `${meta.title ?? 'Report'} – Enhanced PMR`
    document.getElementById('subtitle').textContent =
      [meta.report_month && `Month ${meta.report_month}`, meta.version && `version ${meta.version}`]
        .filter(Boolean).join(' · ')
  }

  renderMetrics () {
    const figures = this.doc.getMap('metrics').get('key_metrics') ?? {}
    const list = document.getElementById('metrics')
    list.replaceChildren()
    for (const [key, label, format] of KEY_METRICS) {
      const value = figures[key]
      const card = element('div', 'metric')
      card.append(element('span', 'metric-label', label))
      card.append(element('span', 'metric-value', typeof value === 'number' ? format(value) : '–'))
      list.append(card)
    }
  }

  renderSections () {
    const sections = this.doc.getMap('sections')
    const container = document.getElementById('sections')
    for (const [sectionId, view] of this.views) {
      if (sections.get(sectionId) !== view.section) {
        view.destroy()
        this.views.delete(sectionId)
      }
    }
    const ordered = [...sections.entries()].sort(
      ([idA, a], [idB, b]) => (a.get('order') ?? 0) - (b.get('order') ?? 0) || idA.localeCompare(idB)
    )
    for (const [sectionId, section] of ordered) {
      if (!this.views.has(sectionId)) this.views.set(sectionId, new SectionView(this, sectionId, section))
      container.append(this.views.get(sectionId).root)
    }
    this.views.forEach((view) => view.refresh())
  }

  renderPresence () {
    const people = document.getElementById('people')
    people.replaceChildren()
    const seen = new Set()
    for (const state of this.awareness.getStates().values()) {
      const name = state.user?.name
      if (!name || seen.has(name)) continue
      seen.add(name)
      const chip = element('li', 'person', name)
      chip.style.borderColor = state.user.color ?? colorFor(name)
      people.append(chip)
    }
    this.views.forEach((view) => view.drawCarets())
  }

  publishCursor (view) {
    if (view === null) {
      this.awareness.setLocalStateField('cursor', null)
      return
    }
    const { selectionStart, selectionEnd } = view.textarea
    const position = (index) => Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(view.text, index))
    this.awareness.setLocalStateField('cursor', {
      section_id: view.sectionId, anchor: position(selectionStart), head: position(selectionEnd)
    })
  }
}

function showNotice (text) {
  const notice = document.getElementById('notice')
  notice.textContent = text
  notice.hidden = !text
}

function showRejection (title, detail) {
  document.getElementById('title').textContent = title
  document.getElementById('subtitle').textContent = detail
  const badge = document.getElementById('status')
  badge.textContent = 'refused'
  badge.dataset.status = 'refused'
}

// Ask the API what this user may do before connecting. A browser cannot read why a
// WebSocket upgrade was refused, and y-websocket would retry a refused one forever.
async function openReport (root, token) {
  let response
  try {
    response = await fetch(`/api/reports/pmr/${root.dataset.reportId}/collaborate/me`, {
      headers: { Authorization: `Bearer ${token}` }
    })
  } catch (error) {
    showRejection('Cannot reach the server', String(error))
    return
  }
  const body = await response.json().catch(() => ({}))
  if (!response.ok) {
    showRejection('Cannot open this report', body.detail ?? `HTTP ${response.status}`)
    return
  }
  const notes = [sessionStorage.getItem(NOTICE_KEY), PERMISSION_NOTES[body.permission]]
  sessionStorage.removeItem(NOTICE_KEY)
  showNotice(notes.filter(Boolean).join(' '))
  window.pmrPage = new ReportPage(root, token, body.permission)
}

const root = document.getElementById('app')
const token = readToken()
if (!token) {
  showRejection(
    'Sign-in token missing',
    'Open this page with ?token=<bearer token> in its address; `pmr token create` issues one.'
  )
} else {
  openReport(root, token)
}

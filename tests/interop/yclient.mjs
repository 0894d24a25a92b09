// One Yjs client: an unmodified y-websocket WebsocketProvider, driven over stdin and stdout.
//
//   node yclient.mjs '{"url": "ws://127.0.0.1:8000/ws/reports/pmr", "room": "<id>/collaborate",
//                      "token": "<jwt>", "name": "ann", "terminalCodes": [1009]}'
//
// Each stdin line is a command {"id": 1, "cmd": "text", ...}; the answer is one stdout line
// {"id": 1, "ok": true, "result": ...}. Events the tests wait on are stdout lines
// {"event": "...", ...}. The WebSocket class handed to the provider is `ws` with a listener
// added, so the tests can see auth messages, echoes and refused upgrades; the provider itself
// is used as published.
import { createInterface } from 'node:readline'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as decoding from 'lib0/decoding'

const config = JSON.parse(process.argv[2])
const doc = new Y.Doc()
// The updates this client sent and has not yet seen come back, each with its edit's label.
let pending = []
let edits = 0

function emit (message) {
  process.stdout.write(JSON.stringify(message) + '\n')
}

// Whether `received` ends at or after every struct of `sent` and starts no later.
function coversStructs (received, sent) {
  for (const [client, to] of sent.to) {
    const from = received.from.get(client)
    if (from === undefined || from > sent.from.get(client) || received.to.get(client) < to) return false
  }
  return true
}

// Whether the deletions of `received` include every range that `sent` deletes.
function coversDeletes (received, sent) {
  for (const [client, items] of sent.clients) {
    const ranges = [...(received.clients.get(client) ?? [])].sort((a, b) => a.clock - b.clock)
    for (const { clock, len } of items) {
      let reached = clock
      for (const range of ranges) {
        if (range.clock > reached) break
        reached = Math.max(reached, range.clock + range.len)
      }
      if (reached < clock + len) return false
    }
  }
  return true
}

// Emits `echoed` for each sent update that `update` contains. The server may merge updates
// that queued up into one, so an echo is recognised by its content, not its bytes.
function noteEchoes (update) {
  const meta = Y.parseUpdateMeta(update)
  const { ds } = Y.decodeUpdate(update)
  pending = pending.filter((entry) => {
    if (!coversStructs(meta, entry.meta) || !coversDeletes(ds, entry.ds)) return true
    emit({ event: 'echoed', label: entry.label })
    return false
  })
}

// Reports what arrives on the socket; the provider handles the same frames as usual.
function watchFrame (data) {
  const decoder = decoding.createDecoder(new Uint8Array(data))
  const type = decoding.readVarUint(decoder)
  if (type === 2) {
    decoding.readVarUint(decoder)
    emit({ event: 'denied', reason: decoding.readVarString(decoder) })
  } else if (type === 0 && decoding.readVarUint(decoder) === 2) {
    noteEchoes(decoding.readVarUint8Array(decoder))
  }
}

class WatchedSocket extends WebSocket {
  constructor (address, protocols) {
    super(address, protocols)
    this.on('message', watchFrame)
    this.on('error', (error) => {
      const refused = /Unexpected server response: (\d+)/.exec(error.message)
      emit(refused ? { event: 'refused', status: Number(refused[1]) } : { event: 'error', message: error.message })
    })
  }
}

const terminal = new Set(config.terminalCodes ?? [])
const provider = new WebsocketProvider(config.url, config.room, doc, {
  params: config.token ? { token: config.token } : {},
  WebSocketPolyfill: WatchedSocket,
  disableBc: true,
  shouldReconnect: (event) => !terminal.has(event.code) && !(event.code >= 4400 && event.code < 4500)
})
if (config.name) provider.awareness.setLocalStateField('user', { name: config.name })

provider.on('status', ({ status }) => emit({ event: 'status', status }))
provider.on('sync', (synced) => synced && emit({ event: 'synced' }))
provider.on('connection-close', (event) => {
  emit({ event: 'close', code: event?.code ?? null, reason: event?.reason ?? null })
})
provider.on('closed', ({ code, reason }) => emit({ event: 'closed', code, reason }))
doc.on('update', (update, origin) => {
  emit({ event: 'update', remote: origin === provider, bytes: update.length })
})
provider.awareness.on('change', ({ added, updated, removed }) => {
  emit({ event: 'awareness', added, updated, removed })
})

function body (section) {
  const sections = doc.getMap('sections')
  const entry = sections.get(section)
  if (!entry) throw new Error(`section ${section} not in the document; present: ${[...sections.keys()]}`)
  return entry.get('body')
}

// Applies one local edit and remembers its update so that its echo can be recognised.
function edit (label, change) {
  let update = null
  const capture = (bytes, origin) => { if (origin === label) update = bytes }
  doc.on('update', capture)
  doc.transact(change, label)
  doc.off('update', capture)
  edits += 1
  if (update !== null) {
    pending.push({ label, meta: Y.parseUpdateMeta(update), ds: Y.decodeUpdate(update).ds })
  }
}

async function typeTokens ({ section, tokens, intervalMs }) {
  for (const token of tokens) {
    const text = body(section)
    edit(token, () => text.insert(text.length, token))
    await new Promise((resolve) => setTimeout(resolve, intervalMs ?? 0))
  }
  return tokens.length
}

function peers () {
  return [...provider.awareness.getStates()]
    .filter(([clientId]) => clientId !== doc.clientID)
    .map(([clientId, state]) => ({ clientId, state }))
}

const commands = {
  info: () => ({
    clientId: doc.clientID,
    connected: provider.wsconnected,
    synced: provider.synced,
    failedAttempts: provider.wsUnsuccessfulReconnects
  }),
  sections: () => [...doc.getMap('sections').keys()],
  text: ({ section }) => body(section).toString(),
  length: ({ section }) => body(section).length,
  map: ({ name }) => doc.getMap(name).toJSON(),
  bodies: () => Object.fromEntries([...doc.getMap('sections').keys()].map((id) => [id, body(id).toString()])),
  // Inserts `text` repeated `repeat` times at `index` (-1: at the end) as one update.
  insert: ({ section, index, text, repeat, label }) => {
    const target = body(section)
    const content = text.repeat(repeat ?? 1)
    edit(label ?? `insert-${edits}`, () => target.insert(index < 0 ? target.length : index, content))
    return target.length
  },
  delete: ({ section, index, length }) => {
    const target = body(section)
    edit(`delete-${edits}`, () => target.delete(index, length))
    return target.length
  },
  type: typeTokens,
  awareness: ({ state }) => { provider.awareness.setLocalState(state); return doc.clientID },
  peers,
  // Sends bytes as they are, for malformed-frame tests; the provider does not see them.
  raw: ({ hex: bytes }) => { provider.ws.send(Buffer.from(bytes, 'hex')); return bytes.length / 2 },
  disconnect: () => { provider.disconnect(); return true },
  connect: () => { provider.connect(); return true },
  destroy: () => { provider.destroy(); setImmediate(() => process.exit(0)); return true }
}

const input = createInterface({ input: process.stdin })
input.on('line', async (line) => {
  const { id, cmd, ...args } = JSON.parse(line)
  try {
    const handler = commands[cmd]
    if (!handler) throw new Error(`unknown command ${cmd}; expected one of ${Object.keys(commands)}`)
    emit({ id, ok: true, result: await handler(args) })
  } catch (error) {
    emit({ id, ok: false, error: String(error?.stack ?? error) })
  }
})
input.on('close', () => { provider.destroy(); process.exit(0) })

// Many Yjs clients spread over several rooms, each editing at a steady pace for a fixed time,
// measuring how long each edit takes to reach the other clients of its room. All clients run
// in this process, so one clock times the send and every arrival.
//
//   node load-clients.mjs '{"url": "ws://127.0.0.1:8000/ws/reports/pmr", "token": "<jwt>",
//                           "rooms": ["<id>/collaborate", ...], "clients": 200,
//                           "seconds": 300, "editIntervalMs": 2000, "syncTimeoutMs": 120000}'
//
// Client i joins rooms[i % rooms.length]. Each client sets its own key in the report's
// top-level map "metrics" to a new sequence number every editIntervalMs, with a random phase
// (the server rejects updates that create top-level types a report does not have). Prints a JSON
// progress line every 10 s and a final line {"event": "final", "p50_ms": ..., "p95_ms": ...,
// "p99_ms": ..., "edits": ..., "deliveries": ..., "missing": ..., "errors": [...]}. After the
// run it waits while late deliveries still arrive (at most drainMaxMs, default 120000) and
// stops after drainIdleMs (default 15000) without one.
// Clients use the unmodified y-websocket provider.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const config = JSON.parse(process.argv[2])
// Each provider adds an exit listener to the process.
process.setMaxListeners(config.clients + 10)
const params = config.token ? { token: config.token } : {}
const latencies = []
const errors = []
let edits = 0
let expected = 0
let deliveries = 0
let closes = 0
// Send time of each edit, by "room|key|seq", until every other client in the room saw it.
const pending = new Map()

function recordError (message) {
  if (errors.length < 50) errors.push({ atMs: Math.round(performance.now()), message })
}

function percentile (sorted, share) {
  if (sorted.length === 0) return null
  const index = Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)
  return sorted[Math.max(index, 0)]
}

function startClient (index) {
  const room = config.rooms[index % config.rooms.length]
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(config.url, room, doc, {
    WebSocketPolyfill: WebSocket,
    params,
    disableBc: true
  })
  const client = { index, room, doc, provider, key: `c${index}`, seq: 0, everSynced: false }
  provider.on('sync', (synced) => { if (synced) client.everSynced = true })
  provider.on('connection-close', (event) => {
    if (stopping) return
    closes += 1
    recordError(`client ${index} socket closed: code ${event?.code ?? 'none'} ${event?.reason ?? ''}`)
  })
  provider.on('connection-error', () => {
    if (!stopping) recordError(`client ${index} socket error`)
  })
  doc.getMap('metrics').observe((event) => {
    const now = performance.now()
    for (const key of event.keysChanged) {
      if (key === client.key) continue
      const id = `${room}|${key}|${event.target.get(key)}`
      const entry = pending.get(id)
      if (entry === undefined) continue
      latencies.push(now - entry.sentAt)
      deliveries += 1
      entry.remaining -= 1
      if (entry.remaining === 0) pending.delete(id)
    }
  })
  return client
}

function synced (client) {
  return new Promise((resolve, reject) => {
    if (client.provider.synced) return resolve()
    const timer = setTimeout(
      () => reject(new Error(`client ${client.index} not synced in ${config.syncTimeoutMs} ms`)),
      config.syncTimeoutMs
    )
    client.provider.once('sync', (isSynced) => {
      if (isSynced) { clearTimeout(timer); resolve() }
    })
  })
}

let stopping = false

async function main () {
  const clients = []
  for (let index = 0; index < config.clients; index++) {
    clients.push(startClient(index))
    // Spreads the connection storm so that joining is not what the run measures.
    if (index % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const results = await Promise.allSettled(clients.map(synced))
  for (const result of results) {
    if (result.status === 'rejected') recordError(result.reason.message)
  }
  const roomSize = new Map()
  for (const client of clients) roomSize.set(client.room, (roomSize.get(client.room) ?? 0) + 1)
  process.stdout.write(JSON.stringify({ event: 'ready', synced: results.filter((r) => r.status === 'fulfilled').length }) + '\n')

  const started = performance.now()
  const timers = clients.map((client) => {
    const tick = () => {
      if (!client.provider.wsconnected || !client.provider.synced) return
      client.seq += 1
      const others = roomSize.get(client.room) - 1
      pending.set(`${client.room}|${client.key}|${client.seq}`, { sentAt: performance.now(), remaining: others })
      edits += 1
      expected += others
      client.doc.getMap('metrics').set(client.key, client.seq)
    }
    const phase = Math.random() * config.editIntervalMs
    return setTimeout(() => { tick(); client.interval = setInterval(tick, config.editIntervalMs) }, phase)
  })
  const progress = setInterval(() => {
    process.stdout.write(JSON.stringify({
      event: 'progress',
      seconds: Math.round((performance.now() - started) / 1000),
      edits,
      deliveries,
      closes
    }) + '\n')
  }, 10000)
  await new Promise((resolve) => setTimeout(resolve, config.seconds * 1000))
  for (const timer of timers) clearTimeout(timer)
  for (const client of clients) clearInterval(client.interval)
  // Deliveries still queued at the end may arrive late. Wait while they keep arriving, and
  // count as missing only those that stopped arriving for drainIdleMs or outlast drainMaxMs.
  const deliveriesAtStop = deliveries
  const drainUntil = performance.now() + (config.drainMaxMs ?? 120000)
  let lastCount = deliveries
  let lastChange = performance.now()
  while (pending.size > 0 && performance.now() < drainUntil) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    if (deliveries !== lastCount) {
      lastCount = deliveries
      lastChange = performance.now()
    } else if (performance.now() - lastChange > (config.drainIdleMs ?? 15000)) {
      break
    }
  }
  clearInterval(progress)
  stopping = true
  const sorted = latencies.slice().sort((a, b) => a - b)
  const round = (value) => (value === null ? null : Math.round(value * 10) / 10)
  process.stdout.write(JSON.stringify({
    event: 'final',
    clients: clients.length,
    rooms: config.rooms.length,
    edits,
    expected_deliveries: expected,
    deliveries,
    delivered_after_stop: deliveries - deliveriesAtStop,
    missing: expected - deliveries,
    closes,
    p50_ms: round(percentile(sorted, 0.5)),
    p95_ms: round(percentile(sorted, 0.95)),
    p99_ms: round(percentile(sorted, 0.99)),
    max_ms: round(sorted.length ? sorted[sorted.length - 1] : null),
    errors
  }) + '\n')
  for (const client of clients) client.provider.destroy()
  setTimeout(() => process.exit(0), 500)
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ event: 'final', fatal: String(error?.stack ?? error), errors }) + '\n')
  process.exit(1)
})

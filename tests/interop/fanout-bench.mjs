// One writer and N observers on one Yjs room, measuring how long each update takes to reach
// every observer. All clients run in this process, so one clock times send and arrival.
//
//   node fanout-bench.mjs '{"url": "ws://127.0.0.1:8000/ws/reports/pmr", "room": "<id>/collaborate",
//                          "token": "<jwt or empty>", "observers": 50, "updates": 200, "rate": 50}'
//
// Prints one JSON line: {"observers": N, "p50_ms": ..., "p99_ms": ..., "samples": ...,
// "updates_per_second": ..., "missing": ...}. Clients use the unmodified y-websocket provider.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

// Updates go to the report's top-level `metrics` map, because the server rejects updates that
// create top-level types a report does not have.
const MAP = 'metrics'
const config = JSON.parse(process.argv[2])
const params = config.token ? { token: config.token } : {}
const sentAt = new Map()
const latencies = []
let received = 0

function client () {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(config.url, config.room, doc, {
    WebSocketPolyfill: WebSocket,
    params,
    disableBc: true
  })
  return { doc, provider }
}

function synced ({ provider }) {
  return new Promise((resolve) => {
    if (provider.synced) resolve()
    else provider.once('sync', (isSynced) => { if (isSynced) resolve() })
  })
}

function percentile (sorted, share) {
  if (sorted.length === 0) return null
  const index = Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)
  return sorted[Math.max(index, 0)]
}

async function main () {
  const observers = Array.from({ length: config.observers }, client)
  const writer = client()
  await Promise.all([...observers, writer].map(synced))
  for (const observer of observers) {
    observer.doc.getMap(MAP).observe((event) => {
      const now = performance.now()
      for (const key of event.keysChanged) {
        const started = sentAt.get(key)
        if (started !== undefined) {
          latencies.push(now - started)
          received += 1
        }
      }
    })
  }
  const bench = writer.doc.getMap(MAP)
  const interval = 1000 / config.rate
  const first = performance.now()
  for (let seq = 0; seq < config.updates; seq++) {
    const key = `${config.tag || 'u'}${seq}`
    sentAt.set(key, performance.now())
    bench.set(key, seq)
    const next = first + (seq + 1) * interval
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())))
  }
  const expected = config.updates * config.observers
  const deadline = performance.now() + 30000
  while (received < expected && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const elapsed = (performance.now() - first) / 1000
  latencies.sort((a, b) => a - b)
  console.log(JSON.stringify({
    observers: config.observers,
    samples: latencies.length,
    missing: expected - received,
    p50_ms: percentile(latencies, 0.5),
    p99_ms: percentile(latencies, 0.99),
    updates_per_second: config.updates / elapsed
  }))
  for (const { provider } of [...observers, writer]) provider.destroy()
  process.exit(0)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})

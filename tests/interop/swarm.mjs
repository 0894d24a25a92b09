// Many Yjs clients in one process, for tests that abort them all at once.
//
//   node swarm.mjs '{"url": "...", "room": "<id>/collaborate", "token": "<jwt>", "count": 200}'
//
// Opens `count` unmodified WebsocketProviders, each with its own document and an awareness
// state, and prints {"event": "ready", "synced": n} once all have synced. The test then kills
// the process with SIGKILL, so every socket ends without a close frame.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const config = JSON.parse(process.argv[2])
let synced = 0

function emit (message) {
  process.stdout.write(JSON.stringify(message) + '\n')
}

for (let index = 0; index < config.count; index++) {
  const provider = new WebsocketProvider(config.url, config.room, new Y.Doc(), {
    params: { token: config.token },
    WebSocketPolyfill: WebSocket,
    disableBc: true
  })
  provider.awareness.setLocalStateField('user', { name: `swarm-${index}` })
  provider.once('sync', () => {
    synced += 1
    if (synced === config.count) emit({ event: 'ready', synced })
  })
  provider.on('connection-close', (event) => {
    emit({ event: 'close', index, code: event?.code ?? null })
  })
}

// Many clients join one Yjs room at once and read the whole document, as new editors do.
//
//   node join-storm.mjs '{"url": "ws://127.0.0.1:8000/ws/reports/pmr", "room": "<id>/collaborate",
//                         "token": "<jwt or empty>", "clients": 50, "stayMs": 5000}'
//
// Each client speaks the y-websocket protocol on a plain socket: it sends sync step 1 with an
// empty state vector and waits for the server's sync step 2, which contains the whole document.
// It receives those bytes but does not apply them to a Y.Doc, so the machine's cores go to
// the server under test rather than to 50 decodes of the same document in this process.
// The clients stay connected for stayMs, then the script prints one JSON line:
// {"clients": N, "joined": N, "join_p50_ms": ..., "join_max_ms": ..., "document_bytes": ...}.
import WebSocket from 'ws'

const config = JSON.parse(process.argv[2])
const query = config.token ? `?token=${encodeURIComponent(config.token)}` : ''
const url = `${config.url}/${config.room}${query}`
// messageSync (0), syncStep1 (0), then the state vector as a byte string: one byte, no clients.
const EMPTY_STEP1 = Uint8Array.from([0, 0, 1, 0])

function join () {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const socket = new WebSocket(url)
    socket.binaryType = 'arraybuffer'
    socket.on('open', () => socket.send(EMPTY_STEP1))
    socket.on('message', (data) => {
      const bytes = new Uint8Array(data)
      if (bytes[0] === 0 && bytes[1] === 1) {
        resolve({ socket, ms: performance.now() - started, bytes: bytes.length })
      }
    })
    socket.on('error', reject)
    socket.on('close', (code) => reject(new Error(`closed with ${code} before sync step 2`)))
  })
}

async function main () {
  const joined = await Promise.all(Array.from({ length: config.clients }, join))
  await new Promise((resolve) => setTimeout(resolve, config.stayMs ?? 5000))
  const times = joined.map((client) => client.ms).sort((a, b) => a - b)
  console.log(JSON.stringify({
    clients: config.clients,
    joined: joined.length,
    join_p50_ms: times[Math.floor(times.length / 2)],
    join_max_ms: times[times.length - 1],
    document_bytes: joined[0].bytes
  }))
  for (const { socket } of joined) socket.terminate()
  process.exit(0)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})

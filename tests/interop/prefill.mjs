// Write a large text into a Yjs room, so that benchmarks have a large document to join.
//
//   node prefill.mjs '{"url": "ws://127.0.0.1:1234", "room": "large", "chars": 900000}'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const config = JSON.parse(process.argv[2])
const doc = new Y.Doc()
const provider = new WebsocketProvider(config.url, config.room, doc, {
  WebSocketPolyfill: WebSocket,
  params: config.token ? { token: config.token } : {},
  disableBc: true
})
const sentence = 'Progress note with figures and narrative. '
provider.once('sync', () => {
  doc.getText('body').insert(0, sentence.repeat(Math.ceil(config.chars / sentence.length)))
  // Leave once the socket has handed the update to the kernel and the server had a moment.
  const wait = setInterval(() => {
    if (provider.ws && provider.ws.bufferedAmount === 0) {
      clearInterval(wait)
      setTimeout(() => {
        provider.destroy()
        process.exit(0)
      }, 1000)
    }
  }, 50)
})

// Starts the Debian chromium at /usr/bin/chromium headless for the page checks. PMR_CHROMIUM
// overrides the path, and Playwright never downloads a browser here.
import { chromium } from 'playwright-core'

// How long a check waits for the page to reach a state, in milliseconds.
export const TIMEOUT = 30_000

export function launchChromium () {
  return chromium.launch({
    executablePath: process.env.PMR_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'
    ]
  })
}

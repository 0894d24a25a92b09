// Opens the collaboration page at each address in headless Chromium and reports what it shows
// once it has synced or been refused.
//
//   node page-states.mjs '{"pages": ["http://127.0.0.1:8000/app/reports/<id>?token=...", ...]}'
//
// Prints one JSON line: for each page its status, title, subtitle, notice and whether each
// section's text is read-only. Uses the Debian chromium at /usr/bin/chromium (PMR_CHROMIUM
// overrides it).
import { TIMEOUT, launchChromium } from './chromium.mjs'

const config = JSON.parse(process.argv[2])
const browser = await launchChromium()

async function state (url) {
  const context = await browser.newContext()
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (error) => errors.push(String(error)))
  await page.goto(url)
  await page.waitForSelector('#status[data-status="synced"], #status[data-status="refused"]', {
    timeout: TIMEOUT
  })
  const notice = page.locator('#notice')
  const seen = {
    status: await page.locator('#status').getAttribute('data-status'),
    title: await page.locator('#title').textContent(),
    subtitle: await page.locator('#subtitle').textContent(),
    notice: (await notice.isVisible()) ? await notice.textContent() : null,
    readOnly: await page.locator('#sections textarea').evaluateAll(
      (areas) => areas.map((area) => area.readOnly)
    ),
    errors
  }
  await context.close()
  return seen
}

try {
  const pages = []
  for (const url of config.pages) pages.push(await state(url))
  console.log(JSON.stringify({ pages }))
} finally {
  await browser.close()
}

// Opens the collaboration page as two people in headless Chromium and types in one of them.
//
//   node page-check.mjs '{"pages": [url of the writer, url of the reader], "section": "<id>",
//                         "text": "...", "screenshot": "/path/reader.png" | null}'
//
// Prints one JSON line: what each page showed. Uses the Debian chromium at /usr/bin/chromium
// (PMR_CHROMIUM overrides it); Playwright never downloads a browser here.
import { TIMEOUT, launchChromium } from './chromium.mjs'

const config = JSON.parse(process.argv[2])
const browser = await launchChromium()

async function openPage (url) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (error) => errors.push(String(error)))
  await page.goto(url)
  await page.waitForSelector('#status[data-status="synced"]', { timeout: TIMEOUT })
  return { page, errors }
}

try {
  const [writer, reader] = await Promise.all(config.pages.map(openPage))
  const area = (page) => page.locator(`article[data-section-id="${config.section}"] textarea`)
  await area(writer.page).click()
  await writer.page.keyboard.press('Control+End')
  await writer.page.keyboard.type(config.text, { delay: 15 })
  await reader.page.waitForFunction(
    ([selector, text]) => document.querySelector(selector)?.value.endsWith(text),
    [`article[data-section-id="${config.section}"] textarea`, config.text],
    { timeout: TIMEOUT }
  )
  const caret = reader.page.locator(`article[data-section-id="${config.section}"] .caret-label`)
  await caret.first().waitFor({ timeout: TIMEOUT })
  const caretBox = await caret.first().boundingBox()
  const areaBox = await area(reader.page).boundingBox()
  if (config.screenshot) await reader.page.screenshot({ path: config.screenshot, fullPage: false })
  console.log(JSON.stringify({
    writerText: await area(writer.page).inputValue(),
    readerText: await area(reader.page).inputValue(),
    caretNames: await caret.allTextContents(),
    caretInsideText: caretBox !== null && areaBox !== null &&
      caretBox.y >= areaBox.y - 30 && caretBox.y <= areaBox.y + areaBox.height,
    people: await reader.page.locator('#people .person').allTextContents(),
    metrics: await reader.page.locator('#metrics .metric-value').allTextContents(),
    title: await reader.page.locator('#title').textContent(),
    readerUrl: reader.page.url(),
    errors: [...writer.errors, ...reader.errors]
  }))
} finally {
  await browser.close()
}

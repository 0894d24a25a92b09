// Other people's cursors drawn over a <textarea>.
//
// A textarea cannot style parts of its text, so each caret is positioned by measuring the
// text before it in an invisible copy of the textarea (same font, width and wrapping).

const COPIED_STYLES = [
  'boxSizing', 'width', 'paddingTop', 'paddingRight', 'paddingBottom', 'paddingLeft',
  'borderTopWidth', 'borderRightWidth', 'borderBottomWidth', 'borderLeftWidth',
  'fontFamily', 'fontSize', 'fontWeight', 'fontStyle', 'letterSpacing', 'lineHeight',
  'textTransform', 'wordSpacing', 'tabSize'
]

// Returns the pixel offset of the caret at `index` inside `textarea`.
function caretOffset (textarea, index) {
  const mirror = document.createElement('div')
  const style = getComputedStyle(textarea)
  for (const name of COPIED_STYLES) mirror.style[name] = style[name]
  Object.assign(mirror.style, {
    position: 'absolute', visibility: 'hidden', whiteSpace: 'pre-wrap', overflowWrap: 'break-word',
    top: '0', left: '0', borderStyle: 'solid'
  })
  mirror.textContent = textarea.value.slice(0, index)
  const marker = document.createElement('span')
  marker.textContent = '\u200b'
  mirror.appendChild(marker)
  textarea.parentElement.appendChild(mirror)
  const offset = { left: marker.offsetLeft, top: marker.offsetTop - textarea.scrollTop }
  mirror.remove()
  return offset
}

// Replaces the carets shown in `layer` by one per entry of `cursors` ({name, color, index}).
export function drawCarets (layer, textarea, cursors) {
  layer.replaceChildren()
  const top = textarea.offsetTop
  const left = textarea.offsetLeft
  for (const cursor of cursors) {
    const index = Math.max(0, Math.min(cursor.index, textarea.value.length))
    const offset = caretOffset(textarea, index)
    const caret = document.createElement('div')
    caret.className = 'caret'
    caret.style.left = `${left + offset.left}px`
    caret.style.top = `${top + offset.top}px`
    caret.style.borderColor = cursor.color
    const label = document.createElement('span')
    label.className = 'caret-label'
    label.textContent = cursor.name
    label.style.background = cursor.color
    caret.appendChild(label)
    layer.appendChild(caret)
  }
}

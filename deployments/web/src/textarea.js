// Two-way binding between a <textarea> and a Y.Text, exchanging minimal changes.
//
// Local typing becomes one delete plus one insert covering only the changed span, so that
// concurrent edits elsewhere in the text keep their place. Remote changes are applied to
// the textarea with the caret and selection shifted by the same delta. Both sides index
// UTF-16 code units, as JavaScript strings and Y.Text do.

function isHighSurrogate (code) {
  return code >= 0xd800 && code <= 0xdbff
}

// Returns the changed span between two strings: [start, end in old, end in new].
export function changedSpan (before, after) {
  let start = 0
  const shortest = Math.min(before.length, after.length)
  while (start < shortest && before.charCodeAt(start) === after.charCodeAt(start)) start++
  // Never split a surrogate pair: step back onto its first half.
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--
  let endBefore = before.length
  let endAfter = after.length
  while (
    endBefore > start && endAfter > start &&
    before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)
  ) {
    endBefore--
    endAfter--
  }
  if (endBefore < before.length && isHighSurrogate(before.charCodeAt(endBefore - 1))) {
    endBefore++
    endAfter++
  }
  return [start, endBefore, endAfter]
}

// Moves an index past a Y.Text delta, as a caret sitting at that index would move.
function shiftIndex (index, delta) {
  let position = 0
  let shifted = index
  for (const op of delta) {
    if (op.retain !== undefined) {
      position += op.retain
    } else if (op.insert !== undefined) {
      const length = typeof op.insert === 'string' ? op.insert.length : 1
      if (position < shifted) shifted += length
      position += length
    } else if (op.delete !== undefined) {
      if (position < shifted) shifted -= Math.min(op.delete, shifted - position)
    }
    if (position > shifted) break
  }
  return shifted
}

export function bindTextarea (textarea, ytext, onChange) {
  const origin = {}
  // The text both sides held after the last change went through.
  let agreed = ytext.toString()
  textarea.value = agreed

  const onInput = () => {
    const typed = textarea.value
    if (typed === agreed) return
    const [start, endBefore, endAfter] = changedSpan(agreed, typed)
    ytext.doc.transact(() => {
      if (endBefore > start) ytext.delete(start, endBefore - start)
      if (endAfter > start) ytext.insert(start, typed.slice(start, endAfter))
    }, origin)
    agreed = typed
    onChange()
  }

  const onRemote = (event, transaction) => {
    if (transaction.origin === origin) return
    const focused = document.activeElement === textarea
    const start = shiftIndex(textarea.selectionStart, event.delta)
    const end = shiftIndex(textarea.selectionEnd, event.delta)
    agreed = ytext.toString()
    textarea.value = agreed
    if (focused) textarea.setSelectionRange(start, end)
    onChange()
  }

  textarea.addEventListener('input', onInput)
  ytext.observe(onRemote)
  return () => {
    textarea.removeEventListener('input', onInput)
    ytext.unobserve(onRemote)
  }
}

// Reading one tag cell as a list of tags (Python list literal, JSON array, comma-joined string,
// real list), and quoting a cell for error messages.
const MAX_CELL_TEXT = 80;

/** A cell's text for an error message, truncated. */
export function cellText(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  if (text.length > MAX_CELL_TEXT) text = `${text.slice(0, MAX_CELL_TEXT)}…`;
  return JSON.stringify(text);
}

/**
 * Parses one list cell into tags: a Python list literal (`['a', "b's"]`), a JSON array, `a, b`,
 * '', null, or a real list of strings. Returns an error reason, so the caller can name the place.
 */
export function parseTagCell(value: unknown): string[] | { error: string } {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) {
    const tags: string[] = [];
    for (const item of value) {
      if (typeof item !== 'string') {
        return { error: `list items must be strings, found ${cellText(item)}` };
      }
      const tag = item.trim();
      if (tag !== '') tags.push(tag);
    }
    return tags;
  }
  if (typeof value !== 'string') {
    const kind = typeof value === 'object' ? 'an object' : `a ${typeof value}`;
    return { error: `expected a list of tags, got ${kind}` };
  }
  const text = value.trim();
  if (text === '') return [];
  if (text.startsWith('[')) return parseListLiteral(text);
  const tags: string[] = [];
  for (const piece of text.split(',')) {
    const tag = piece.trim();
    if (tag !== '') tags.push(tag);
  }
  return tags;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  '/': '/',
  '0': '\0',
};

/** A list of string literals, as Python's repr() or JSON writes it. */
function parseListLiteral(text: string): string[] | { error: string } {
  const tags: string[] = [];
  let i = 1;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  skipSpace();
  if (text[i] === ']') {
    i++;
  } else {
    for (;;) {
      skipSpace();
      const quote = text[i];
      if (quote !== "'" && quote !== '"') {
        return { error: `expected a quoted string at character ${i + 1}` };
      }
      i++;
      let tag = '';
      for (;;) {
        if (i >= text.length) return { error: 'unterminated string' };
        const ch = text[i++];
        if (ch === quote) break;
        if (ch !== '\\') {
          tag += ch;
          continue;
        }
        const escaped = text[i++];
        if (escaped === undefined) return { error: 'unterminated string' };
        if (Object.hasOwn(SIMPLE_ESCAPES, escaped)) {
          tag += SIMPLE_ESCAPES[escaped];
        } else if (escaped === 'x' || escaped === 'u' || escaped === 'U') {
          const width = escaped === 'x' ? 2 : escaped === 'u' ? 4 : 8;
          const hex = text.slice(i, i + width);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) {
            return { error: `bad \\${escaped} escape at character ${i}` };
          }
          const code = Number.parseInt(hex, 16);
          if (code > 0x10ffff) return { error: `bad \\${escaped} escape at character ${i}` };
          tag += String.fromCodePoint(code);
          i += width;
        } else {
          return { error: `unknown escape \\${escaped} at character ${i}` };
        }
      }
      const trimmed = tag.trim();
      if (trimmed !== '') tags.push(trimmed);
      skipSpace();
      if (text[i] === ',') {
        i++;
        skipSpace();
        if (text[i] === ']') {
          i++;
          break;
        }
        continue;
      }
      if (text[i] === ']') {
        i++;
        break;
      }
      return { error: `expected "," or "]" at character ${i + 1}` };
    }
  }
  skipSpace();
  if (i !== text.length) return { error: `unexpected text after the list at character ${i + 1}` };
  return tags;
}

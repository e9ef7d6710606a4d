// CSV copies in the notebook's format: list cells are Python list literals (what pandas
// writes for a list column, and what `ast.literal_eval` reads back), floats as Python prints
// them, null as an empty cell, RFC 4180 quoting where needed.
import type { PublishedRow } from './dataset-rows.js';
import { pythonFloatText } from './surrogate-id.js';

/** Python's repr() of a string. */
export function pythonStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

export function pythonListRepr(items: readonly string[]): string {
  return `[${items.map(pythonStringRepr).join(', ')}]`;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(columns: readonly string[]): string {
  return `${columns.map(csvField).join(',')}\n`;
}

export function csvLine(row: PublishedRow, columns: readonly string[]): string {
  return `${columns
    .map((name) => {
      const value = row[name];
      if (value === null || value === undefined) return '';
      if (Array.isArray(value)) return csvField(pythonListRepr(value));
      if (typeof value === 'number') return pythonFloatText(value);
      return csvField(value);
    })
    .join(',')}\n`;
}

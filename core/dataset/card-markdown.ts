// Markdown pieces the dataset card's sections share.

/** Thousands separators by hand: the card must not depend on the runtime's locale data. */
export const int = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** A markdown table; "|" in a cell is escaped. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) =>
    `| ${cells.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)].join('\n');
}

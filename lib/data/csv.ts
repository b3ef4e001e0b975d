// A small CSV reader (RFC 4180): comma-separated fields, double-quoted fields that may hold commas, newlines and
// doubled quotes, LF or CRLF line ends, an optional final newline. Rows may have different lengths; callers
// check what they need. Blank lines are skipped. A quote that is never closed is a TF_BAD_FILE naming the file and line.
import { TensorfieldError } from '../tensor';

export function parseCSV(text: string, file = '<string>'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = '', i = 0, line = 1;
  const n = text.length;
  let atFieldStart = true;
  while (i < n) {
    const ch = text[i];
    if (atFieldStart && ch === '"') {
      const startLine = line;
      i++;
      for (;;) {
        if (i >= n) throw new TensorfieldError('TF_BAD_FILE', `CSV file '${file}': the quoted field opened on line ${startLine} is never closed`);
        const c = text[i];
        if (c === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        if (c === '\n') line++;
        field += c;
        i++;
      }
      atFieldStart = false;
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        throw new TensorfieldError('TF_BAD_FILE', `CSV file '${file}': unexpected text after a closing quote on line ${line}`);
      }
      continue;
    }
    if (ch === ',') { row.push(field); field = ''; atFieldStart = true; i++; continue; }
    if (ch === '\r' && text[i + 1] === '\n') { i++; continue; }
    if (ch === '\n') {
      row.push(field);
      if (!(row.length === 1 && row[0] === '' && atFieldStart)) rows.push(row); // blank lines are skipped
      row = []; field = ''; atFieldStart = true; line++; i++;
      continue;
    }
    field += ch;
    atFieldStart = false;
    i++;
  }
  if (field !== '' || row.length > 0 || !atFieldStart) { row.push(field); rows.push(row); }
  return rows;
}

/**
 * Streaming CSV (RFC 4180 plus what spreadsheets write): UTF-8 with an optional BOM, CRLF or LF line ends, quoted
 * fields that may hold commas, doubled quotes and line breaks. The parser holds one record in memory at a time.
 */

export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

export interface CsvParseOptions {
  /** A longer field is an error (a runaway quote must not swallow the whole file into memory). */
  maxFieldLength?: number;
  maxFields?: number;
}

/** UTF-8 bytes → text chunks; invalid UTF-8 is an error. The BOM is dropped. */
export async function* decodeUtf8(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  try {
    for await (const chunk of chunks) {
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (text) yield text;
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch (err) {
    if (err instanceof TypeError) throw new CsvError('The file is not valid UTF-8 text');
    throw err;
  }
}

/** Text chunks → records (arrays of fields). Chunk boundaries may fall anywhere, even inside a quote or a CRLF. */
export async function* parseCsv(chunks: AsyncIterable<string>, opts: CsvParseOptions = {}): AsyncGenerator<string[]> {
  const maxField = opts.maxFieldLength ?? 65_536;
  const maxFields = opts.maxFields ?? 1000;
  let record: string[] = [];
  let field = '';
  let inQuotes = false;
  let quoteSeen = false; // inside quotes, the previous char was a quote (either an escaped quote or the closing one)
  let atFieldStart = true;
  let pendingCr = false;
  let first = true;

  const endField = () => {
    record.push(field);
    if (record.length > maxFields) throw new CsvError(`A row has more than ${maxFields} columns`);
    field = '';
    atFieldStart = true;
  };

  for await (let chunk of chunks) {
    if (first) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      if (chunk.length) first = false;
    }
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (pendingCr) {
        pendingCr = false;
        if (ch === '\n') continue; // CRLF: the record was already ended at the CR
      }
      if (inQuotes) {
        if (quoteSeen) {
          quoteSeen = false;
          if (ch === '"') {
            field += '"';
            continue;
          }
          inQuotes = false; // that quote closed the field; fall through to handle ch normally
        } else if (ch === '"') {
          quoteSeen = true;
          continue;
        } else {
          field += ch;
          if (field.length > maxField) throw new CsvError(`A field is longer than ${maxField} characters (an unclosed quote?)`);
          continue;
        }
      }
      if (ch === ',') {
        endField();
      } else if (ch === '\n' || ch === '\r') {
        endField();
        yield record;
        record = [];
        if (ch === '\r') pendingCr = true;
      } else if (ch === '"' && atFieldStart && field === '') {
        inQuotes = true;
        atFieldStart = false;
      } else {
        // A quote in the middle of an unquoted field is kept as text (what spreadsheets do).
        field += ch;
        atFieldStart = false;
        if (field.length > maxField) throw new CsvError(`A field is longer than ${maxField} characters`);
      }
    }
  }
  if (inQuotes && !quoteSeen) throw new CsvError('The file ends inside a quoted field');
  if (field !== '' || record.length > 0 || (inQuotes && quoteSeen)) {
    endField();
    yield record;
  }
}

/** Spreadsheets run cells that start with these as formulas: a report prefixes them with a quote (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: string | number | null | undefined, opts: { neutralizeFormulas?: boolean } = {}): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (opts.neutralizeFormulas && typeof value === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (CRLF-terminated, as RFC 4180 says). */
export function csvLine(values: (string | number | null | undefined)[], opts: { neutralizeFormulas?: boolean } = {}): string {
  return values.map((v) => csvField(v, opts)).join(',') + '\r\n';
}

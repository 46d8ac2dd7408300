import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvError, csvLine, decodeUtf8, parseCsv } from '../../src/core/csv.js';

async function collect(chunks: (string | Uint8Array)[]) {
  const out: string[][] = [];
  async function* src() {
    for (const c of chunks) yield c;
  }
  for await (const r of parseCsv(decodeUtf8(src()))) out.push(r);
  return out;
}

describe('csv', () => {
  it('parses quotes, commas, doubled quotes, embedded newlines, CRLF and a BOM', async () => {
    const text = '\uFEFFa,b,c\r\n"x, y","say ""hi""","line1\nline2"\r\nplain,,end\n';
    expect(await collect([text])).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'line1\nline2'],
      ['plain', '', 'end'],
    ]);
  });

  it('handles a last line without a newline, and CR-only line ends', async () => {
    expect(await collect(['a,b\rc,d'])).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(await collect(['"q"'])).toEqual([['q']]);
  });

  it('is independent of where chunks are cut (bytes, even inside a multibyte char)', async () => {
    const text = 'firstName,lastName\r\n"Zoë ""Z""",Ångström\r\n"a\r\nb",c\r\n';
    const bytes = new TextEncoder().encode(text);
    const whole = await collect([bytes]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 6 }), async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const parts: Uint8Array[] = [];
        let prev = 0;
        for (const p of points) {
          parts.push(bytes.slice(prev, p));
          prev = p;
        }
        parts.push(bytes.slice(prev));
        expect(await collect(parts)).toEqual(whole);
      }),
    );
    expect(whole[1]).toEqual(['Zoë "Z"', 'Ångström']);
  });

  it('round-trips what the writer writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.string(), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 10 }), async (rows) => {
        const text = rows.map((r) => csvLine(r)).join('');
        const parsed = await collect([text]);
        expect(parsed).toEqual(rows);
      }),
    );
  });

  it('rejects invalid UTF-8 and an unclosed quote', async () => {
    await expect(collect([new Uint8Array([0x61, 0xff, 0x0a])])).rejects.toBeInstanceOf(CsvError);
    await expect(collect(['a,"b\n'])).rejects.toBeInstanceOf(CsvError);
  });

  it('neutralizes formulas in reports when asked', () => {
    expect(csvLine(['=SUM(A1)', 'ok', 3], { neutralizeFormulas: true })).toBe(`'=SUM(A1),ok,3\r\n`);
    expect(csvLine(['a"b'])).toBe('"a""b"\r\n');
  });
});

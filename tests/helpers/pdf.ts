import { inflateSync } from 'node:zlib';

/**
 * A minimal PDF reader for tests: the header, and the text runs of every content stream (FlateDecode inflated with
 * zlib), in drawing order. pdfkit writes each `text()` call as one `[<hex> kern <hex> …] TJ` array of WinAnsi codes.
 */
export function pdfTextRuns(pdf: Buffer): string[] {
  const s = pdf.toString('latin1');
  const runs: string[] = [];
  const re = /stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const end = s.indexOf('endstream', m.index);
    const dict = s.slice(s.lastIndexOf('<<', m.index), m.index);
    const raw = pdf.subarray(m.index + m[0].length, end);
    let content: string;
    try {
      content = (/FlateDecode/.test(dict) ? inflateSync(raw) : raw).toString('latin1');
    } catch {
      continue; // not a content stream we can read (an image, a font)
    }
    for (const tj of content.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      const hex = [...tj[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]!).join('');
      runs.push(Buffer.from(hex, 'hex').toString('latin1'));
    }
    re.lastIndex = end;
  }
  return runs;
}

export const isPdf = (b: Buffer) => b.subarray(0, 5).toString('latin1') === '%PDF-' && b.subarray(-6).toString('latin1').includes('%%EOF');

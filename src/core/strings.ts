import { z } from 'zod';

/**
 * Built once and shared: schemas are immutable (every chained method returns a new one). Kept only once zod has
 * been extended with `.openapi()` (by @hono/zod-openapi; a schema has the methods its prototype had when it was
 * built), so a `str()` called earlier, before the extension, is built as before.
 */
let nulFree: z.ZodString | undefined;

/**
 * The one string type of every schema that accepts client text (bodies, query, path, job payloads): a NUL byte is
 * refused here, at the edge, with a 400 — PostgreSQL cannot store it in `text` or `jsonb` and would answer with an
 * encoding error. Chains like `z.string()` (`str().trim().max(100)`).
 */
export function str(): z.ZodString {
  if (nulFree) return nulFree;
  const s = z.string().refine((v) => !v.includes('\0'), { message: 'must not contain a NUL character', abort: true });
  if ('openapi' in s) nulFree = s;
  return s;
}

/**
 * Characters no name may carry (README, "Names"): controls (Cc), format characters (Cf: zero-width spaces and joiners,
 * the bidi embeddings, overrides and isolates U+202A–202E and U+2066–2069, the marks U+200E/U+200F, U+FEFF, …) and
 * the line/paragraph separators. They make one name look like another, or reorder what a reader sees.
 */
export const INVISIBLE_OR_BIDI = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * The one string type of every name (centres, rooms, children, adults, staff, kiosks): invisible and bidi control
 * characters refused (400), then trimmed and NFC-normalised, so names that look the same are stored the same.
 */
export function nameStr(max: number): z.ZodString {
  return str()
    .refine((v) => !INVISIBLE_OR_BIDI.test(v), { message: 'must not contain invisible or bidirectional control characters' })
    .trim()
    .normalize('NFC')
    .min(1, 'is required')
    .max(max);
}

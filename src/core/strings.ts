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

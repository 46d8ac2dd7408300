import { z } from 'zod';

/**
 * The one string type of every schema that accepts client text (bodies, query, path, job payloads): a NUL byte is
 * refused here, at the edge, with a 400 — PostgreSQL cannot store it in `text` or `jsonb` and would answer with an
 * encoding error. Chains like `z.string()` (`str().trim().max(100)`).
 */
export const str = () => z.string().refine((s) => !s.includes('\0'), { message: 'must not contain a NUL character', abort: true });

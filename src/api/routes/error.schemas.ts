import { z } from '@hono/zod-openapi';
import { ERROR_STATUS, type ErrorCode } from '../../core/errors.js';
import { str } from '../../core/strings.js';

/**
 * The contract's error body, in a module of its own: the health and docs routes describe it without loading
 * registry.ts (defineRoute, its middleware and the shared schemas), which the Lambda's first /health/live skips.
 */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]).openapi({ example: 'NOT_FOUND' }),
      message: str(),
      requestId: str(),
      details: z.array(z.record(str(), z.unknown())).optional(),
    }),
  })
  .openapi('Error');

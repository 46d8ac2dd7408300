import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { JOB_STATUSES } from '../../models/enums.js';
import { CalendarDate } from '../../api/routes/registry.js';

/** Request and response schemas of the jobs routes (jobs.routes.ts: reports, imports, jobs). */

export const Accepted = z.object({ jobId: str() }).openapi('JobAccepted');

export const ReportRequest = z
  .object({
    type: z.literal('attendance'),
    from: CalendarDate,
    to: CalendarDate,
    roomId: str().max(100).optional().openapi({ description: 'Only this room' }),
  })
  .strict()
  .openapi('ReportRequest', { description: 'An attendance CSV for [from, to] (at most 366 days), times in the centre’s time zone' });

export const ImportRequest = z
  .object({
    type: z.literal('students'),
    fileId: str().max(100).openapi({ description: 'A CSV uploaded through POST /files/presign with purpose "import"' }),
    dryRun: z.boolean().optional().openapi({ description: 'Validate and count without writing' }),
  })
  .strict()
  .openapi('ImportRequest');

export const Job = z
  .object({
    id: str(),
    type: str().openapi({ example: 'report.attendance' }),
    status: z.enum(JOB_STATUSES),
    progress: z.number().int().openapi({ description: '0–100' }),
    result: z
      .record(str(), z.unknown())
      .optional()
      .openapi({ description: 'Report: {fileId, rows}. Import: {created, updated, skipped, rows, dryRun, errors: [{row, field, message}]}' }),
    error: str().optional().openapi({ description: 'Why the job failed (status failed only)' }),
    createdAt: str(),
    updatedAt: str(),
    version: z.number().int(),
  })
  .openapi('Job');

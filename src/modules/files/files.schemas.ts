import { z } from '@hono/zod-openapi';
import { CLIENT_FILE_PURPOSES } from '../../core/file-limits.js';
import { str } from '../../core/strings.js';
import { FILE_STATUSES } from '../../models/enums.js';

/** Request and response schemas of the files routes (files.routes.ts). */

export const PresignBody = z
  .object({
    purpose: z.enum(CLIENT_FILE_PURPOSES).openapi({ description: 'student_photo: jpeg/png/webp ≤ 5 MB; document: pdf/jpeg/png ≤ 10 MB; import: csv ≤ 10 MB' }),
    contentType: str().trim().min(1).max(100).openapi({ example: 'application/pdf' }),
    size: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).openapi({ description: 'Exact size in bytes; the storage refuses a larger body' }),
    fileName: str()
      .min(1)
      .max(255)
      .refine((v) => !/[/\\]/.test(v), 'must not contain path separators'),
    studentId: str().max(100).optional().openapi({ description: 'Required for student_photo; guardians must name one of their own children' }),
  })
  .strict();

export const PresignResult = z
  .object({
    fileId: str(),
    upload: z.object({
      url: str(),
      method: z.enum(['POST', 'PUT']),
      headers: z.record(str(), str()).optional(),
      fields: z.record(str(), str()).optional().openapi({ description: 'POST: send these form fields before the file field' }),
    }),
    expiresAt: str(),
  })
  .openapi('PresignedUpload');

export const FileRecord = z
  .object({
    id: str(),
    fileName: str(),
    contentType: str(),
    size: z.number().int(),
    purpose: str(),
    status: z.enum(FILE_STATUSES),
    studentId: str().nullable(),
    downloadUrl: str().openapi({ description: 'Short-lived (≤ 5 min) presigned URL' }),
    expiresAt: str(),
    createdAt: str(),
    updatedAt: str(),
    version: z.number().int(),
  })
  .openapi('File');

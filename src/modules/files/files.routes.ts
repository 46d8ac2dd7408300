import { Readable } from 'node:stream';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { attachmentDisposition } from '../../core/file-limits.js';
import { etag } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { FileRecord, PresignBody, PresignResult } from './files.schemas.js';
import { defineRoute, ErrorSchema, IdParam, jsonBody, jsonResponse } from '../../api/routes/registry.js';

/** The request's own origin: where the local driver's signed URLs point when PUBLIC_URL is not set. */
const originOf = (url: string) => new URL(url).origin;

export function registerFilesRoutes(app: OpenAPIHono<AppEnv>) {
  // Signed local-disk URLs (local driver only). Public on purpose: the HMAC signature in the query is the
  // authorization, like an S3 presigned URL. app.ts exempts /files/local/ from the JSON body middlewares.
  app.put('/files/local/upload', async (c) => {
    await c.get('container').files.receiveLocalUpload(c.req.query(), c.req.header('content-type'), c.req.raw.body);
    return c.body(null, 204);
  });
  app.get('/files/local/download', async (c) => {
    const d = await c.get('container').files.openLocalDownload(c.req.query());
    return c.body(Readable.toWeb(d.stream) as unknown as ReadableStream, 200, {
      'Content-Type': d.contentType,
      'Content-Length': String(d.size),
      'Content-Disposition': attachmentDisposition(d.fileName),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, no-store',
    });
  });

  app.openapi(
    defineRoute({
      method: 'post',
      path: '/files/presign',
      permission: 'files:presign',
      summary: 'Get a short-lived URL to upload one file straight to storage',
      request: jsonBody(PresignBody),
      responses: { 201: jsonResponse(PresignResult, 'Upload URL') },
    }),
    async (c) => {
      const r = await c.get('container').files.presign(tenantCtx(c), c.req.valid('json'), { baseUrl: originOf(c.req.url) });
      return c.json(r, 201);
    },
  );

  app.openapi(
    defineRoute({
      method: 'get',
      path: '/files/{id}',
      permission: 'files:read',
      summary: 'A file’s details and a short-lived download URL (confirms a pending upload first)',
      request: { params: IdParam },
      responses: {
        200: jsonResponse(FileRecord, 'The file'),
        409: jsonResponse(ErrorSchema, 'CONFLICT: not uploaded yet'),
        422: jsonResponse(ErrorSchema, 'UNPROCESSABLE: the upload broke the declared size or type and was rejected'),
      },
    }),
    async (c) => {
      const f = await c.get('container').files.get(tenantCtx(c), c.req.valid('param').id, { baseUrl: originOf(c.req.url) });
      c.header('ETag', etag(f.version));
      return c.json(f, 200);
    },
  );
}

import type { SignedQuery } from '../../adapters/storage/storage.js';
import type { TenantContext } from '../../core/context.js';
import { AppError, conflict, forbidden, notFound, unprocessable, validationError } from '../../core/errors.js';
import {
  DOWNLOAD_URL_TTL_SECONDS,
  FILE_LIMITS,
  fileNameProblem,
  mediaType,
  UPLOAD_URL_TTL_SECONDS,
  type FilePurpose,
} from '../../core/file-limits.js';
import { isUuid, newId } from '../../core/ids.js';
import { auditRepository } from '../../db/audit.repository.js';
import { filesRepository, type FileRow } from './files.repository.js';
import { access } from '../../auth/access.js';
import type { ServiceDeps } from '../../kernel/deps.js';
import { forTenant } from '../../db/db.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export interface PresignInput {
  purpose: Exclude<FilePurpose, 'report'>;
  contentType: string;
  size: number;
  fileName: string;
  studentId?: string;
}

export const fileDto = (f: FileRow) => ({
  id: f.id,
  fileName: f.fileName,
  contentType: f.contentType,
  size: f.size,
  purpose: f.purpose,
  status: f.status,
  studentId: f.studentId,
  createdAt: f.createdAt.toISOString(),
  updatedAt: f.updatedAt.toISOString(),
  version: f.version,
});

/** The server picks every key; a client never names one. */
const storageKey = (tenantId: string, fileId: string) => `tenants/${tenantId}/files/${fileId}`;

/** Presigned uploads and downloads, and the check that an upload is what was declared before anyone uses it. */
/**
 * Reports and imports describe the whole centre (every child's attendance, a roster of names): they belong to the
 * members allowed to run reports or imports, and to the member who created the file. Anyone else gets a 404.
 */
function mayReadCentreFile(ctx: TenantContext, f: { purpose: string; uploadedByMembershipId: string | null }) {
  const needs = f.purpose === 'report' ? 'reports:run' : f.purpose === 'import' ? 'imports:run' : null;
  if (!needs) return true;
  return ctx.permissions.includes(needs) || (!!f.uploadedByMembershipId && f.uploadedByMembershipId === ctx.membershipId);
}

export function createFilesService({ db, storage, clock, logger, localFiles }: Pick<ServiceDeps, 'db' | 'storage' | 'clock' | 'logger' | 'localFiles'>) {

  /**
   * Compares the stored object with the declared one (HeadObject): larger than declared or another type → the file is
   * rejected (and the object deleted); otherwise it becomes `uploaded` with its real size.
   * Storage calls happen outside any transaction; the status change is a compare-and-set on `pending`.
   */
  async function settle(tenantId: string, row: FileRow, onMissing: () => AppError): Promise<FileRow> {
    const info = await storage.head(row.storageKey);
    if (!info) throw onMissing();
    const wrongType = info.contentType !== undefined && mediaType(info.contentType) !== row.contentType;
    const tooLarge = info.size > row.size;
    const now = clock.now();
    if (wrongType || tooLarge) {
      await db.scoped(forTenant(tenantId), async (tx) => {
        const after = await filesRepository.settle(tx, tenantId, row.id, { status: 'rejected' }, now);
        if (after) await auditRepository.append(tx, { tenantId, action: 'file.rejected', targetType: 'file', targetId: row.id, after: { size: info.size, contentType: info.contentType ?? null } });
      });
      await storage.delete(row.storageKey).catch((err: Error) => logger.warn({ err, fileId: row.id }, 'could not delete a rejected upload'));
      throw rejected(wrongType ? 'contentType' : 'size');
    }
    await storage.markConfirmed(row.storageKey);
    const settled = await db.scoped(forTenant(tenantId), async (tx) => {
      const after = await filesRepository.settle(tx, tenantId, row.id, { status: 'uploaded', size: info.size, uploadedAt: now }, now);
      if (after) await auditRepository.append(tx, { tenantId, action: 'file.uploaded', targetType: 'file', targetId: row.id, after: { size: info.size } });
      return after ?? (await filesRepository.get(tx, tenantId, row.id));
    });
    if (!settled) throw notFound('File');
    if (settled.status === 'rejected') throw rejected();
    return settled;
  }

  return {
    /** POST /files/presign: every rule is checked before any URL is made. */
    async presign(ctx: TenantContext, input: PresignInput, opts: { baseUrl?: string } = {}) {
      const limit = FILE_LIMITS[input.purpose];
      if (!limit?.presignable) throw validationError('This purpose cannot be uploaded', [{ path: 'purpose', message: 'not an upload purpose' }]);
      if (input.purpose === 'import' && !ctx.permissions.includes('imports:run'))
        throw forbidden('Uploading an import file needs the permission to run imports');
      if (ctx.guardianOnly && input.purpose !== 'document' && input.purpose !== 'student_photo')
        throw forbidden('Guardians may upload documents and photos of their own children only');
      const nameProblem = fileNameProblem(input.fileName);
      if (nameProblem) throw validationError('The file name is not valid', [{ path: 'fileName', message: nameProblem }]);
      if (limit.student === 'required' && !input.studentId)
        throw validationError(`A ${input.purpose} needs a studentId`, [{ path: 'studentId', message: 'is required for this purpose' }]);
      if (limit.student === 'none' && input.studentId)
        throw validationError(`A ${input.purpose} is not about one child`, [{ path: 'studentId', message: 'is not allowed for this purpose' }]);
      if (ctx.guardianOnly && !input.studentId)
        throw unprocessable('Guardians upload files about their own children: name the studentId', [{ path: 'studentId', message: 'is required for guardians' }]);
      const contentType = mediaType(input.contentType);
      if (!limit.contentTypes.includes(contentType))
        throw unprocessable(`A ${input.purpose} must be one of ${limit.contentTypes.join(', ')}`, [{ path: 'contentType', message: `allowed: ${limit.contentTypes.join(', ')}` }]);
      if (input.size > limit.maxBytes)
        throw unprocessable(`A ${input.purpose} may be at most ${limit.maxBytes} bytes`, [{ path: 'size', message: `at most ${limit.maxBytes} bytes` }]);

      const id = newId();
      const key = storageKey(ctx.tenantId, id);
      const row = await db.scoped(forTenant(ctx), async (tx) => {
        if (input.studentId) {
          if (!isUuid(input.studentId) || !(await filesRepository.studentExists(tx, ctx.tenantId, input.studentId))) throw notFound('Student');
          await access.assertStudentVisible(tx, ctx, input.studentId);
        }
        return createRecorded(tx, ctx, {
          action: 'file.presigned',
          targetType: 'file',
          insert: () =>
            filesRepository.insert(tx, {
              id,
              tenantId: ctx.tenantId,
              purpose: input.purpose,
              fileName: input.fileName,
              contentType,
              size: input.size,
              storageKey: key,
              status: 'pending',
              studentId: input.studentId ?? null,
              uploadedByMembershipId: ctx.membershipId,
            }),
          dto: (f) => f,
          after: (f) => ({ purpose: f.purpose, contentType, size: f.size, studentId: f.studentId }),
        });
      });
      const expiresAt = new Date(clock.now().getTime() + UPLOAD_URL_TTL_SECONDS * 1000);
      const upload = await storage.presignUpload({
        key,
        fileId: row.id,
        contentType,
        maxSize: row.size,
        expiresInSeconds: UPLOAD_URL_TTL_SECONDS,
        baseUrl: opts.baseUrl,
      });
      return { fileId: row.id, upload, expiresAt: expiresAt.toISOString() };
    },

    /** GET /files/{id}: confirms a pending upload first, then hands out a short-lived download URL. */
    async get(ctx: TenantContext, id: string, opts: { baseUrl?: string } = {}) {
      if (!isUuid(id)) throw notFound('File');
      let row = await db.scoped(forTenant(ctx), async (tx) => {
        const f = await filesRepository.get(tx, ctx.tenantId, id);
        if (!f) throw notFound('File');
        if (ctx.guardianOnly) {
          // A guardian sees files about their own children, and nothing else (not even that the file exists).
          const visible = await access.visibleStudentIds(tx, ctx);
          if (!f.studentId || (visible !== null && !visible.includes(f.studentId))) throw notFound('File');
        }
        if (!mayReadCentreFile(ctx, f)) throw notFound('File');
        return f;
      });
      if (row.status === 'rejected') throw rejected();
      if (row.status === 'pending') row = await settle(ctx.tenantId, row, () => conflict('The file has not been uploaded yet'));
      const expiresAt = new Date(clock.now().getTime() + DOWNLOAD_URL_TTL_SECONDS * 1000);
      const downloadUrl = await storage.presignDownload({
        key: row.storageKey,
        fileId: row.id,
        fileName: row.fileName,
        contentType: row.contentType,
        expiresInSeconds: DOWNLOAD_URL_TTL_SECONDS,
        baseUrl: opts.baseUrl,
      });
      return { ...fileDto(row), downloadUrl, expiresAt: expiresAt.toISOString() };
    },

    /** For jobs (imports): the file must be uploaded and match what was declared; UNPROCESSABLE otherwise. */
    async confirmUploaded(ctx: { tenantId: string }, fileId: string, check?: (file: { purpose: FileRow['purpose'] }) => void) {
      if (!isUuid(fileId)) throw notFound('File');
      let row = await db.scoped(forTenant(ctx), (tx) => filesRepository.get(tx, ctx.tenantId, fileId));
      if (!row) throw notFound('File');
      check?.(row); // the caller's rule about the file (an import's purpose), before anything is settled
      if (row.status === 'rejected') throw rejected();
      if (row.status === 'pending') row = await settle(ctx.tenantId, row, () => unprocessable('The file has not been uploaded yet'));
      return { id: row.id, storageKey: row.storageKey, contentType: row.contentType, size: row.size, purpose: row.purpose, status: row.status };
    },

    /** For jobs (reports): records a server-generated file and has `write` store it under the key chosen here. */
    async createServerFile(
      tenantId: string,
      meta: { purpose: 'report'; fileName: string; contentType: string; createdByMembershipId?: string | null },
      write: (key: string) => Promise<{ size: number }>,
    ) {
      const id = newId();
      const key = storageKey(tenantId, id);
      await db.scoped(forTenant(tenantId), (tx) =>
        filesRepository.insert(tx, {
          id,
          tenantId,
          purpose: meta.purpose,
          fileName: meta.fileName,
          contentType: mediaType(meta.contentType),
          size: 0,
          storageKey: key,
          status: 'pending',
          uploadedByMembershipId: meta.createdByMembershipId ?? null,
        }),
      );
      const { size } = await write(key);
      const now = clock.now();
      const row = await db.scoped(forTenant(tenantId), (tx) => filesRepository.settle(tx, tenantId, id, { status: 'uploaded', size, uploadedAt: now }, now));
      if (!row) throw new Error('server file vanished while it was written');
      return { id: row.id, storageKey: row.storageKey, contentType: row.contentType, size: row.size, purpose: row.purpose, status: row.status };
    },

    /** A job's read of an uploaded import file: its size and a stream of its bytes; undefined when it is gone. */
    async openImportFile(tenantId: string, fileId: string) {
      const row = await db.scoped(forTenant(tenantId), (tx) => filesRepository.get(tx, tenantId, fileId));
      if (!row || row.purpose !== 'import') return undefined;
      return { size: row.size, open: () => storage.getStream(row.storageKey) };
    },

    /** PUT /files/local/upload (local driver only): the signature is the authorization. */
    async receiveLocalUpload(query: SignedQuery, contentType: string | undefined, body: ReadableStream<Uint8Array> | null) {
      return localDriver().receiveUpload(query, contentType, body);
    },

    /** GET /files/local/download (local driver only). */
    async openLocalDownload(query: SignedQuery) {
      const d = await localDriver().openDownload(query);
      if (!d) throw notFound('File');
      return d;
    },
  };

  /** The container hands in the local file server only when the storage is local disk; otherwise these URLs do not exist. */
  function localDriver() {
    if (!localFiles) throw notFound('File');
    return localFiles;
  }
}

function rejected(field?: 'size' | 'contentType') {
  const message =
    field === 'size' ? 'The uploaded file is larger than declared' : field === 'contentType' ? 'The uploaded file is not of the declared type' : 'The upload was rejected';
  return unprocessable(message, field ? [{ path: field, message }] : undefined);
}

export type FilesService = ReturnType<typeof createFilesService>;

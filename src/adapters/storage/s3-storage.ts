import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { attachmentDisposition, DOWNLOAD_URL_TTL_SECONDS, UPLOAD_URL_TTL_SECONDS } from '../../core/file-limits.js';
import type { DownloadRequest, PresignedUpload, Storage, StoredObjectInfo, UploadLimits } from './storage.js';

/**
 * Uploads are tagged `state=pending`; the bucket's lifecycle rule expires such objects after 2 days, so an upload
 * that is never confirmed (nobody read it back through GET /files/{id}) does not linger.
 */
export const PENDING_TAGGING = '<Tagging><TagSet><Tag><Key>state</Key><Value>pending</Value></Tag></TagSet></Tagging>';
/** S3's minimum multipart part size (except the last part). */
const PART_SIZE = 5 * 1024 * 1024;

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (path-style addressing). */
  endpoint?: string;
  /** Tests pass static fake credentials; production uses the default provider chain (the Lambda role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  client?: S3Client;
}

export class S3Storage implements Storage {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  private readonly bucket: string;

  constructor(opts: S3StorageOptions) {
    this.bucket = opts.bucket;
    this.client =
      opts.client ??
      new S3Client({
        region: opts.region,
        ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
        ...(opts.credentials ? { credentials: opts.credentials } : {}),
        // No checksum headers the browser would have to send (STACK pitfall 7).
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
  }

  /**
   * A presigned POST: the only S3 upload whose policy bounds the size (`content-length-range`). The policy also pins
   * the exact server-chosen key, the exact Content-Type and the pending tag, and expires within 5 minutes.
   */
  async presignUpload(l: UploadLimits): Promise<PresignedUpload> {
    const { url, fields } = await createPresignedPost(this.client, {
      Bucket: this.bucket,
      Key: l.key,
      Conditions: [
        ['content-length-range', 0, l.maxSize],
        { 'Content-Type': l.contentType },
        { tagging: PENDING_TAGGING },
      ],
      Fields: { 'Content-Type': l.contentType, tagging: PENDING_TAGGING },
      Expires: Math.min(l.expiresInSeconds, UPLOAD_URL_TTL_SECONDS),
    });
    return { url, method: 'POST', fields };
  }

  async presignDownload(o: DownloadRequest): Promise<string> {
    const cmd = new GetObjectCommand({
      Bucket: this.bucket,
      Key: o.key,
      ResponseContentDisposition: attachmentDisposition(o.fileName),
      ResponseContentType: o.contentType,
    });
    return getSignedUrl(this.client, cmd, { expiresIn: Math.min(o.expiresInSeconds, DOWNLOAD_URL_TTL_SECONDS) });
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: Number(r.ContentLength ?? 0), contentType: r.ContentType };
    } catch (e) {
      // Without s3:ListBucket, S3 answers 403 (not 404) for a key that does not exist.
      if (isMissing(e)) return null;
      throw e;
    }
  }

  async markConfirmed(key: string): Promise<void> {
    await this.client.send(new DeleteObjectTaggingCommand({ Bucket: this.bucket, Key: key }));
  }

  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!r.Body) throw new Error('S3 returned no body');
    // In Node the SDK's body is a Readable (async iterable of Buffers).
    return r.Body as unknown as AsyncIterable<Uint8Array>;
  }

  /**
   * Streams to S3 without holding the whole file: one PutObject when it fits in a single 5 MB part, else a multipart
   * upload of 5 MB parts (aborted on failure so no parts are left to bill).
   */
  async putStream(key: string, body: AsyncIterable<Uint8Array | string>, contentType: string): Promise<{ size: number }> {
    let buffered: Buffer[] = [];
    let bufferedBytes = 0;
    let size = 0;
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];
    const flush = async (final: boolean) => {
      while (bufferedBytes >= PART_SIZE || (final && bufferedBytes > 0)) {
        const all = Buffer.concat(buffered);
        const chunk = all.subarray(0, Math.min(PART_SIZE, all.length));
        const rest = all.subarray(chunk.length);
        buffered = rest.length ? [rest] : [];
        bufferedBytes = rest.length;
        if (!uploadId) {
          const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }));
          uploadId = created.UploadId!;
        }
        const partNumber = parts.length + 1;
        const r = await this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: chunk }));
        parts.push({ ETag: r.ETag, PartNumber: partNumber });
      }
    };
    try {
      for await (const piece of body) {
        const b = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        buffered.push(Buffer.from(b));
        bufferedBytes += b.length;
        size += b.length;
        if (bufferedBytes >= PART_SIZE) await flush(false);
      }
      if (!uploadId) {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: Buffer.concat(buffered), ContentType: contentType }));
        return { size };
      }
      await flush(true);
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
      return { size };
    } catch (e) {
      if (uploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

function isMissing(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = err?.$metadata?.httpStatusCode;
  return status === 404 || status === 403 || err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.name === 'Forbidden';
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { DOWNLOAD_URL_TTL_SECONDS, mediaType, UPLOAD_URL_TTL_SECONDS } from '../../core/file-limits.js';
import { SAFE_KEY, type DownloadRequest, type LocalFileServer, type PresignedUpload, type SignedQuery, type Storage, type StoredObjectInfo, type UploadLimits } from './storage.js';

export type { SignedQuery };

/** Where the API serves the signed URLs of this driver (see files.routes.ts). */
export const LOCAL_UPLOAD_PATH = '/files/local/upload';
export const LOCAL_DOWNLOAD_PATH = '/files/local/download';
/** Past the limit, read (and discard) this much more so the client gets the 413 instead of a connection reset. */
const DRAIN_LIMIT = 16 * 1024 * 1024;


export interface VerifiedUpload {
  key: string;
  fileId: string;
  contentType: string;
  maxSize: number;
}
export interface VerifiedDownload {
  key: string;
  fileId: string;
  fileName: string;
  contentType: string;
}

/**
 * Local-disk storage (the default): files under `<DATA_DIR>/files/<key>`. The API serves the upload and download
 * URLs itself; each URL carries an HMAC-SHA256 signature over everything it allows (method, file id, key, max size,
 * content type, file name, expiry), so the driver enforces the same limits an S3 POST policy would.
 */
export class LocalStorage implements Storage, LocalFileServer {
  readonly kind = 'local' as const;
  private readonly root: string;
  private readonly signingKey: Buffer;

  constructor(private readonly opts: { root: string; secret: string; clock: Clock; publicUrl?: string }) {
    this.root = path.resolve(opts.root);
    // A key of its own, derived from the session secret, so these signatures can never be confused with tokens.
    this.signingKey = createHmac('sha256', opts.secret).update('daycare/local-storage-urls/v1').digest();
  }

  async presignUpload(l: UploadLimits): Promise<PresignedUpload> {
    this.pathOf(l.key);
    const expires = this.expiry(Math.min(l.expiresInSeconds, UPLOAD_URL_TTL_SECONDS));
    const q = { fileId: l.fileId, key: l.key, maxSize: String(l.maxSize), contentType: l.contentType, expires: String(expires) };
    const sig = this.sign('PUT', q);
    return {
      url: `${this.base(l.baseUrl)}${LOCAL_UPLOAD_PATH}?${new URLSearchParams({ ...q, sig })}`,
      method: 'PUT',
      headers: { 'Content-Type': l.contentType },
    };
  }

  async presignDownload(o: DownloadRequest): Promise<string> {
    this.pathOf(o.key);
    const expires = this.expiry(Math.min(o.expiresInSeconds, DOWNLOAD_URL_TTL_SECONDS));
    const q = { fileId: o.fileId, key: o.key, fileName: o.fileName, contentType: o.contentType, expires: String(expires) };
    return `${this.base(o.baseUrl)}${LOCAL_DOWNLOAD_PATH}?${new URLSearchParams({ ...q, sig: this.sign('GET', q) })}`;
  }

  /** Checks a signed upload URL: tampered or expired → 403. */
  verifyUpload(q: SignedQuery): VerifiedUpload {
    const v = this.verify('PUT', q, ['fileId', 'key', 'maxSize', 'contentType', 'expires']);
    const maxSize = Number(v.maxSize);
    if (!Number.isSafeInteger(maxSize) || maxSize < 0) throw denied();
    return { key: v.key!, fileId: v.fileId!, contentType: v.contentType!, maxSize };
  }

  verifyDownload(q: SignedQuery): VerifiedDownload {
    const v = this.verify('GET', q, ['fileId', 'key', 'fileName', 'contentType', 'expires']);
    return { key: v.key!, fileId: v.fileId!, fileName: v.fileName!, contentType: v.contentType! };
  }

  /**
   * Receives the body of a signed PUT: the Content-Type must be the signed one (415), and the body is counted while it
   * streams to a temp file — past the signed size it stops writing (413). Only a complete, valid body is moved into
   * place (and never over an existing file), so a refused upload leaves nothing behind.
   */
  async receiveUpload(q: SignedQuery, contentTypeHeader: string | undefined, body: ReadableStream<Uint8Array> | null): Promise<{ size: number }> {
    let u: VerifiedUpload;
    try {
      u = this.verifyUpload(q);
      if (mediaType(contentTypeHeader) !== mediaType(u.contentType))
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', `This upload URL accepts Content-Type ${u.contentType} only`);
    } catch (e) {
      await drain(body);
      throw e;
    }
    const target = this.pathOf(u.key);
    const tmpDir = path.join(this.root, '.tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${u.fileId}.${randomBytes(8).toString('hex')}.part`);
    let size = 0;
    let tooLarge = false;
    const out = createWriteStream(tmp, { flags: 'wx' });
    const opened = new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    try {
      await opened;
      if (body) {
        const reader = body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > u.maxSize) {
            tooLarge = true;
            if (size > u.maxSize + DRAIN_LIMIT) {
              await reader.cancel().catch(() => undefined);
              break;
            }
            continue;
          }
          if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
        }
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      if (tooLarge) throw new AppError('PAYLOAD_TOO_LARGE', `The upload is larger than the ${u.maxSize} bytes declared`);
      await mkdir(path.dirname(target), { recursive: true });
      try {
        // link() fails when the target exists: an upload URL cannot replace a file already stored.
        await link(tmp, target);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new AppError('CONFLICT', 'This file has already been uploaded');
        throw e;
      }
      return { size };
    } finally {
      out.destroy();
      await rm(tmp, { force: true });
    }
  }

  /** Opens a signed download: the stream and what the response needs to describe it; null when the file is gone. */
  async openDownload(q: SignedQuery) {
    const d = this.verifyDownload(q);
    const info = await this.head(d.key);
    if (!info) return null;
    return { ...d, size: info.size, stream: createReadStream(this.pathOf(d.key)) };
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? { size: s.size, contentType: undefined } : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async markConfirmed(): Promise<void> {
    /* nothing expires on local disk */
  }

  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    const p = this.pathOf(key);
    await stat(p);
    return createReadStream(p);
  }

  async putStream(key: string, body: AsyncIterable<Uint8Array | string>, _contentType?: string): Promise<{ size: number }> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(8).toString('hex')}.part`;
    let size = 0;
    const fh = await open(tmp, 'wx');
    try {
      for await (const piece of body) {
        const b = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
        size += b.byteLength;
        await fh.write(b);
      }
      await fh.close();
      await rename(tmp, target);
      return { size };
    } catch (e) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** The file's path, refusing any key that could leave the storage root. */
  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error('unsafe storage key');
    const p = path.resolve(this.root, key);
    if (!p.startsWith(this.root + path.sep)) throw new Error('unsafe storage key');
    return p;
  }

  private base(baseUrl: string | undefined): string {
    const b = this.opts.publicUrl ?? baseUrl;
    if (!b) throw new Error('local storage needs PUBLIC_URL or the request origin to build URLs');
    return b.replace(/\/$/, '');
  }

  private expiry(seconds: number): number {
    return Math.floor(this.opts.clock.now().getTime() / 1000) + seconds;
  }

  private sign(method: 'PUT' | 'GET', q: Record<string, string>): string {
    // Length-prefixed fields: no value can shift into its neighbour.
    const fields = [method, q.fileId, q.key, q.maxSize ?? '', q.contentType, q.fileName ?? '', q.expires].map((v) => `${Buffer.byteLength(v!)}:${v}`);
    return createHmac('sha256', this.signingKey).update(fields.join('|')).digest('base64url');
  }

  private verify(method: 'PUT' | 'GET', q: SignedQuery, required: string[]) {
    for (const k of required) if (typeof q[k] !== 'string') throw denied();
    const expected = Buffer.from(this.sign(method, q as Record<string, string>));
    const given = Buffer.from(q.sig ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw denied();
    const expires = Number(q.expires);
    if (!Number.isSafeInteger(expires) || expires * 1000 < this.opts.clock.now().getTime()) throw denied('This URL has expired');
    if (!SAFE_KEY.test(q.key!)) throw denied();
    return q;
  }
}

/** Reads and discards a refused body (up to DRAIN_LIMIT), so the client receives the error instead of a reset. */
async function drain(body: ReadableStream<Uint8Array> | null) {
  if (!body) return;
  const reader = body.getReader();
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > DRAIN_LIMIT) return void (await reader.cancel());
    }
  } catch {
    /* the client went away */
  }
}

const denied = (message = 'The signature of this URL is not valid') => new AppError('FORBIDDEN', message);

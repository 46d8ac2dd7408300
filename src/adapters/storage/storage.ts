import type { Readable } from 'node:stream';

/**
 * File storage behind one interface: S3 (presigned POST/GET) or local disk (URLs served and signed by the API).
 * Keys are always chosen by the server, under `tenants/<tenantId>/…`.
 */
export interface PresignedUpload {
  url: string;
  method: 'POST' | 'PUT';
  headers?: Record<string, string>;
  fields?: Record<string, string>;
}

export interface UploadLimits {
  key: string;
  fileId: string;
  contentType: string;
  /** The size declared at presign time; the storage refuses a larger body. */
  maxSize: number;
  expiresInSeconds: number;
  /** Origin of the API for drivers whose URLs the API serves itself (local disk); PUBLIC_URL wins when set. */
  baseUrl?: string;
}

export interface DownloadRequest {
  key: string;
  fileId: string;
  fileName: string;
  contentType: string;
  expiresInSeconds: number;
  baseUrl?: string;
}

export interface StoredObjectInfo {
  size: number;
  /** Undefined when the driver does not record it (local disk enforces the type when it receives the upload). */
  contentType: string | undefined;
}

export interface Storage {
  readonly kind: 's3' | 'local';
  presignUpload(limits: UploadLimits): Promise<PresignedUpload>;
  presignDownload(o: DownloadRequest): Promise<string>;
  /** Size and type of a stored object (HeadObject), or null when it does not exist. */
  head(key: string): Promise<StoredObjectInfo | null>;
  /** Called once an uploaded object has been checked: S3 drops the `state=pending` tag so the lifecycle rule keeps it. */
  markConfirmed(key: string): Promise<void>;
  /** Server-side reads and writes (imports read CSVs, reports write them); streams, never whole files in memory. */
  getStream(key: string): Promise<AsyncIterable<Uint8Array>>;
  putStream(key: string, body: AsyncIterable<Uint8Array | string>, contentType: string): Promise<{ size: number }>;
  delete(key: string): Promise<void>;
}

/** The query string of a URL the API signed for its own upload/download endpoints. */
export type SignedQuery = Record<string, string | undefined>;

/** A driver whose URLs the API serves itself (local disk): it receives uploads and opens downloads. */
export interface LocalFileServer {
  receiveUpload(q: SignedQuery, contentTypeHeader: string | undefined, body: ReadableStream<Uint8Array> | null): Promise<{ size: number }>;
  openDownload(q: SignedQuery): Promise<{ fileName: string; contentType: string; size: number; stream: Readable } | null>;
}

/** Storage keys are server-chosen and path-safe: segments of [A-Za-z0-9._-], never `.` or `..`. */
export const SAFE_KEY = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

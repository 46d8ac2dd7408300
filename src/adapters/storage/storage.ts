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
}

export interface StoredObjectInfo {
  size: number;
  contentType: string | undefined;
}

export interface Storage {
  readonly kind: 's3' | 'local';
  presignUpload(limits: UploadLimits): Promise<PresignedUpload>;
  presignDownload(o: { key: string; fileId: string; fileName: string; contentType: string; expiresInSeconds: number }): Promise<string>;
  /** Size and type of a stored object (HeadObject), or null when it does not exist. */
  head(key: string): Promise<StoredObjectInfo | null>;
  /** Server-side reads and writes (imports read CSVs, reports write them); streams, never whole files in memory. */
  getStream(key: string): Promise<AsyncIterable<Uint8Array>>;
  putStream(key: string, body: AsyncIterable<Uint8Array | string>, contentType: string): Promise<{ size: number }>;
  delete(key: string): Promise<void>;
}

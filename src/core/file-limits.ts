/**
 * What may be stored, per purpose: the one table the presign route, the storage drivers and the upload confirmation
 * all read. `report` files are written by the server (jobs) and can never be presigned by a client.
 */
export type FilePurpose = 'student_photo' | 'document' | 'import' | 'report';

export interface FileLimit {
  contentTypes: readonly string[];
  maxBytes: number;
  /** Whether a client may ask for an upload URL for this purpose. */
  presignable: boolean;
  /** Whether the file is about one child: required, allowed, or never. */
  student: 'required' | 'optional' | 'none';
}

const MB = 1024 * 1024;

export const FILE_LIMITS: Record<FilePurpose, FileLimit> = {
  student_photo: { contentTypes: ['image/jpeg', 'image/png', 'image/webp'], maxBytes: 5 * MB, presignable: true, student: 'required' },
  document: { contentTypes: ['application/pdf', 'image/jpeg', 'image/png'], maxBytes: 10 * MB, presignable: true, student: 'optional' },
  import: { contentTypes: ['text/csv'], maxBytes: 10 * MB, presignable: true, student: 'none' },
  report: { contentTypes: ['text/csv', 'application/pdf'], maxBytes: 100 * MB, presignable: false, student: 'none' },
};

export const CLIENT_FILE_PURPOSES = ['student_photo', 'document', 'import'] as const;

/** Presigned upload and download URLs live at most this long (STACK pitfall 7: a short expiry). */
export const UPLOAD_URL_TTL_SECONDS = 300;
export const DOWNLOAD_URL_TTL_SECONDS = 300;

/** `Image/PNG; charset=x` → `image/png`: the media type without parameters, lower-cased. */
export function mediaType(contentType: string | undefined | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A file name a user may give: 1..255 characters, no path separators, no control characters, not `.`/`..`. */
export function fileNameProblem(name: string): string | null {
  if (name.length < 1 || name.length > 255) return 'must be 1 to 255 characters';
  if (/[/\\]/.test(name)) return 'must not contain path separators';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  if (name === '.' || name === '..') return 'is not a file name';
  return null;
}

/**
 * An RFC 6266 `Content-Disposition: attachment` value: an ASCII-only quoted fallback (quotes, backslashes and
 * non-ASCII replaced) plus the exact name as RFC 8187 `filename*`.
 */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_') || 'download';
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (ch) => '%' + ch.charCodeAt(0).toString(16).toUpperCase());
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

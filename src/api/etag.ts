/** HTTP's optimistic-concurrency headers: ETag out, If-Match in (the services compare versions, not headers). */

/** If-Match → expected version; undefined when absent or `*`. A header that names no version never matches. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const h = header.trim();
  if (h === '*') return undefined;
  const m = /^(?:W\/)?"?(\d{1,10})"?$/.exec(h);
  return m ? Number(m[1]) : -1;
}
export const etag = (version: number) => `"${version}"`;

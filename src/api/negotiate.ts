/**
 * Content negotiation for routes that answer JSON by default and another representation on request (a statement as
 * `application/pdf`). RFC 9110 §12.5.1: each media range with its q; the most specific range that matches a type
 * gives that type's q. The alternative wins only when it is named and preferred over JSON (a tie, `*\/*`, or no
 * Accept header at all answers JSON, so the JSON answers clients already get never change).
 */
export function prefers(accept: string | undefined, type: string): boolean {
  if (!accept) return false;
  const ranges = accept
    .split(',')
    .map((part) => {
      const [range, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const qp = params.find((p) => p.startsWith('q='));
      const q = qp ? Number(qp.slice(2)) : 1;
      return { range: range ?? '', q: Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0 };
    })
    .filter((r) => r.range.includes('/'));
  const qOf = (t: string) => {
    const [major] = t.split('/');
    const exact = ranges.find((r) => r.range === t);
    if (exact) return { q: exact.q, named: true };
    const family = ranges.find((r) => r.range === `${major}/*`);
    if (family) return { q: family.q, named: false };
    const any = ranges.find((r) => r.range === '*/*');
    return { q: any ? any.q : 0, named: false };
  };
  const want = qOf(type.toLowerCase());
  const json = qOf('application/json');
  return want.named && want.q > 0 && (want.q > json.q || (want.q === json.q && !json.named));
}

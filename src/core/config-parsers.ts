import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The parsers of environment variables (src/core/config.ts): each turns a variable's text into its value or one
 * issue naming what is wrong (never the value).
 */
export const int = (def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

export const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const url = (protocols: string[]) =>
  optionalString.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(' or ')})` },
  );

export const bool = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    if (['1', 'true', 'yes', 'on'].includes(v.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(v.toLowerCase())) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });

/** APP_ORIGINS: a comma list of exact origins (no paths, no wildcards). */
export const originList = optionalString.transform((v, ctx) => {
  if (!v) return [] as string[];
  const origins = v.split(',').map((o) => o.trim()).filter(Boolean);
  for (const o of origins) {
    let parsed: URL;
    try {
      parsed = new URL(o);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of origins (https://app.example.com)' });
      return z.NEVER;
    }
    if (parsed.origin !== o.replace(/\/$/, '') || o === '*') {
      ctx.addIssue({ code: 'custom', message: 'must list exact origins (scheme://host[:port]), no paths or wildcards' });
      return z.NEVER;
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
});

/** TRUST_PROXY: behind a reverse proxy, a hop count (1 = one proxy in front) or a comma list of the proxies' addresses/CIDRs. */
export const trustProxy = optionalString.transform((v, ctx) => {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > 10) {
      ctx.addIssue({ code: 'custom', message: 'must be a hop count between 0 and 10, or a comma list of addresses/CIDRs' });
      return z.NEVER;
    }
    return hops ? { hops } : undefined;
  }
  const cidrs = v.split(',').map((x) => x.trim()).filter(Boolean);
  for (const c of cidrs) {
    if (!isCidr(c)) {
      ctx.addIssue({ code: 'custom', message: 'must be a hop count, or a comma list of IP addresses or CIDRs (10.0.0.0/8, ::1)' });
      return z.NEVER;
    }
  }
  return cidrs.length ? { cidrs } : undefined;
});

/** NOTIFY_RETRY_SECONDS: the waits between email retries, a comma list of whole seconds. */
export const retryWaits = optionalString.transform((v, ctx) => {
  if (v === undefined) return [60, 300, 1800, 7200, 21600];
  const waits = v.split(',').map((x) => Number(x.trim()));
  if (!waits.length || waits.length > 20 || waits.some((n) => !Number.isInteger(n) || n < 0 || n > 7 * 24 * 3600)) {
    ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of whole seconds (60,300,1800)' });
    return z.NEVER;
  }
  return waits;
});

/** An IPv4/IPv6 address, or one with a prefix length (`10.0.0.0/8`, `fd00::/8`). */
function isCidr(v: string) {
  const [addr, len, ...rest] = v.split('/');
  const family = isIP(addr ?? '');
  if (!family || rest.length) return false;
  if (len === undefined) return true;
  const n = Number(len);
  return /^\d+$/.test(len) && n <= (family === 4 ? 32 : 128);
}

import { signLocalSupabaseToken } from '../src/core/security/supabase.js';

/** A signed-in member as the bench's clients send it: the session cookies and the CSRF token. */
export interface Signed {
  cookie: string;
  csrf: string;
}

/**
 * Signs `email` in with a locally signed Supabase token (the API runs with that secret). A seeded membership is an
 * invitation: the first sign-in accepts it and switches there (nothing joins at sign-in). Used by `run.ts` and `rush.ts`.
 */
export async function signInAs(base: string, secret: string, email: string): Promise<Signed> {
  const token = await signLocalSupabaseToken(secret, email);
  const r = await fetch(`${base}/auth/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken: token }) });
  if (!r.ok) throw new Error(`sign-in ${email}: ${r.status} ${await r.text()}`);
  const body = (await r.json()) as any;
  const jar = new Map(r.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));
  let csrf = body.csrfToken as string;
  const inv = body.activeMembershipId ? null : body.invitations?.[0];
  if (inv) {
    const post = (p: string, b: unknown) =>
      fetch(base + p, { method: 'POST', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify(b) });
    const acc = await post(`/invitations/${inv.id}/accept`, {});
    if (!acc.ok) throw new Error(`accept ${email}: ${acc.status} ${await acc.text()}`);
    const sw = await post('/auth/switch', { membershipId: inv.id });
    if (!sw.ok) throw new Error(`switch ${email}: ${sw.status}`);
    for (const c of sw.headers.getSetCookie()) jar.set(...(c.split(';')[0]!.split('=') as [string, string]));
    csrf = ((await sw.json()) as any).csrfToken;
  }
  return { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), csrf };
}

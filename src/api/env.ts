import type { Container } from '../container.js';
import type { RequestContext } from '../core/context.js';
import type { AccessClaims } from '../core/security/tokens.js';

/** Hono's per-request variables. */
export interface AppEnv {
  Variables: {
    requestId: string;
    container: Container;
    ctx?: RequestContext;
    /** The verified access token (logout blocklists its jti; switch replaces it). */
    claims?: AccessClaims;
    /** Serves an internal request through the same app (the visibility check before a 403, see requirePermission). */
    dispatch?: (req: Request) => Promise<Response>;
  };
}

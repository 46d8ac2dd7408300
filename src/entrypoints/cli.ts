import { createContainer, localAuthSecretFor } from '../container.js';
import { ConfigError, loadConfig } from '../core/config.js';
import { signLocalSupabaseToken } from '../core/security/supabase.js';

/** `npm run migrate`, `npm run token -- --email x`, `npm run seed`. */
async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const args = parseArgs(rest);
  const config = loadConfig();
  if (command === 'token') {
    if (!config.localAuth) fail('npm run token works only in local mode (no SUPABASE_URL/SUPABASE_JWT_SECRET, not production)');
    const email = args.email;
    if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) fail('usage: npm run token -- --email someone@example.com');
    // Only the local secret is needed: the database stays closed (the server may hold the embedded one).
    const token = await signLocalSupabaseToken(await localAuthSecretFor(config), email, { ttlSeconds: Number(args.ttl ?? 3600) });
    console.log(token);
    return;
  }
  const container = await createContainer(config);
  try {
    if (command === 'migrate') {
      await container.db.migrate();
      console.log(`migrations applied (${container.db.kind})`);
    } else if (command === 'seed') {
      await container.db.migrate();
      const { seedDemo } = await import('../seed.js');
      const out = await seedDemo(container);
      console.log(out);
    } else {
      fail(`unknown command ${command ?? ''}; use migrate, token or seed`);
    }
  } finally {
    await container.close();
  }
}

function parseArgs(argv: string[]) {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=');
      out[k!] = v ?? argv[++i] ?? '';
    }
  }
  return out;
}
function fail(msg: string): never {
  console.error(msg);
  process.exit(1);
}

main().catch((err) => {
  if (err instanceof ConfigError) fail(err.message);
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

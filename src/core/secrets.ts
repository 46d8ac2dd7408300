import { ConfigError } from './config.js';

/**
 * Secrets that production keeps in AWS Secrets Manager. The functions get `DATABASE_URL_SECRET_ARN`,
 * `SESSION_SECRET_ARN`, `SUPABASE_JWT_SECRET_ARN`, `REDIS_URL_SECRET_ARN`, `STRIPE_SECRET_KEY_SECRET_ARN`,
 * `STRIPE_WEBHOOK_SECRET_ARN` (never the values) and the plain variables
 * are filled in once per cold start, before `loadConfig()`. Without an ARN the plain
 * variable is used as it is, so a bundle also runs on a laptop.
 */
export const SECRET_VARIABLES = ['DATABASE_URL', 'SESSION_SECRET', 'SUPABASE_JWT_SECRET', 'REDIS_URL', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];
/** The variable holding each secret's ARN (as the CDK stack names them). */
export const ARN_VARIABLE: Record<SecretVariable, string> = {
  DATABASE_URL: 'DATABASE_URL_SECRET_ARN',
  SESSION_SECRET: 'SESSION_SECRET_ARN',
  SUPABASE_JWT_SECRET: 'SUPABASE_JWT_SECRET_ARN',
  REDIS_URL: 'REDIS_URL_SECRET_ARN',
  STRIPE_SECRET_KEY: 'STRIPE_SECRET_KEY_SECRET_ARN',
  STRIPE_WEBHOOK_SECRET: 'STRIPE_WEBHOOK_SECRET_ARN',
};

/** Reads one secret's plain `SecretString` by ARN. */
export type SecretFetcher = (arn: string) => Promise<string>;

/** The part of `SecretsManagerClient` we use (tests pass a fake `send`). */
export interface SecretsManagerLike {
  send(command: unknown): Promise<{ SecretString?: string }>;
}

/** A fetcher over the AWS SDK (loaded lazily: nothing AWS is evaluated when no ARN is set). */
export function secretsManagerFetcher(client?: SecretsManagerLike): SecretFetcher {
  let ready: Promise<{ client: SecretsManagerLike; Command: new (input: { SecretId: string }) => unknown }> | undefined;
  return async (arn) => {
    ready ??= import('@aws-sdk/client-secrets-manager').then((sdk) => ({
      client: client ?? (new sdk.SecretsManagerClient({}) as unknown as SecretsManagerLike),
      Command: sdk.GetSecretValueCommand,
    }));
    const { client: c, Command } = await ready;
    const out = await c.send(new Command({ SecretId: arn }));
    if (typeof out.SecretString !== 'string') throw new Error('the secret has no SecretString (binary secrets are not supported)');
    return out.SecretString;
  };
}

/**
 * Resolves every ARN variable present in `env` into its plain variable, all in parallel, and returns the names it set.
 * A failure throws a ConfigError naming the ARN variable (never a value); the AWS error name is kept for the logs.
 */
export async function resolveSecrets(
  env: Record<string, string | undefined> = process.env,
  fetch: SecretFetcher = secretsManagerFetcher(),
): Promise<SecretVariable[]> {
  const wanted = SECRET_VARIABLES.filter((name) => (env[ARN_VARIABLE[name]] ?? '').trim() !== '');
  const values = await Promise.all(
    wanted.map(async (name) => {
      const variable = ARN_VARIABLE[name];
      const arn = env[variable]!.trim();
      let value: string;
      try {
        value = await fetch(arn);
      } catch (err) {
        const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw new ConfigError(variable, `could not be read from Secrets Manager (${why})`);
      }
      value = value.trim();
      if (value === '') throw new ConfigError(variable, 'names an empty secret');
      return value;
    }),
  );
  wanted.forEach((name, i) => {
    env[name] = values[i];
  });
  return wanted;
}

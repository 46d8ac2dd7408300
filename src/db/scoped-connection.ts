import pgUtils from 'pg/lib/utils.js';
import type { Statement, Tx } from './types.js';

const prepareValue = pgUtils.prepareValue;

/**
 * A pooled connection as Drizzle sees it inside `scoped()`: it takes the RLS context (the settings and the role switch)
 * to PostgreSQL with each statement instead of in round trips of its own.
 *
 * - A plain read (`select` without a row lock or a settings change) is sent as `<settings>; <statement>` in one
 *   simple-protocol round trip: an implicit transaction of its own, so the settings are transaction-local and gone
 *   afterwards. Under READ COMMITTED every statement of a transaction takes its own snapshot anyway, so a run of reads
 *   means exactly what it would inside BEGIN … COMMIT.
 * - The first statement that writes, locks rows or changes a setting opens a real transaction instead:
 *   `begin; <settings>; <statement>`, and everything after it runs in that transaction, committed by `scoped()`.
 * Parameters of a statement sent this way are inlined as escaped literals of exactly the text pg would send for them,
 * untyped, so PostgreSQL resolves them the same way. Measured: a tenant-scoped read costs what it costs without RLS.
 */
export class ScopedConnection {
  private settings: string | null = null;
  /** A real transaction is open (a write, a lock or a settings change happened). */
  started = false;
  constructor(private readonly client: import('pg').PoolClient) {}

  open(settings: string) {
    this.settings = settings;
    this.started = false;
  }
  close() {
    this.settings = null;
    this.started = false;
  }

  /**
   * Statements written as SQL (see `queryMany`), sent together in one simple-protocol round trip with their
   * parameters inlined: behind the RLS settings as a plain read, or opening the real transaction when one writes.
   */
  async many(statements: Statement[]): Promise<Record<string, unknown>[][]> {
    const lit = (v: string) => this.client.escapeLiteral(v);
    let text = statements.map((st) => inlineParams(st.text, st.values, lit)).join('; ');
    if (this.settings !== null && !this.started) {
      const read = statements.every((st) => isPlainRead(st.text));
      text = `${read ? this.settings : `begin; ${this.settings}`}; ${text}`;
      if (!read) this.started = true;
    }
    const results = (await this.client.query(text)) as unknown as { rows: Record<string, unknown>[] } | { rows: Record<string, unknown>[] }[];
    const all = Array.isArray(results) ? results : [results];
    return all.slice(all.length - statements.length).map((r) => r.rows);
  }

  async query(config: string | { text: string; name?: string; values?: unknown[] }, values?: unknown[]): Promise<unknown> {
    const settings = this.settings;
    if (settings === null || this.started) return this.client.query(config as any, values as any);
    const cfg = typeof config === 'string' ? { text: config } : config;
    const read = isPlainRead(cfg.text);
    const prefix = read ? settings : `begin; ${settings}`;
    if (!read) this.started = true;
    if (cfg.name) {
      // A named prepared statement cannot ride in a simple query: send the prefix on its own first.
      if (read) throw new Error('named statements are not supported in a scoped read');
      await this.client.query(prefix);
      return this.client.query(config as any, values as any);
    }
    const text = `${prefix}; ${inlineParams(cfg.text, values ?? cfg.values ?? [], (v) => this.client.escapeLiteral(v))}`;
    const results = (await this.client.query({ ...cfg, text, values: undefined } as any)) as unknown;
    return Array.isArray(results) ? results[results.length - 1] : results;
  }
}

type RawSession = { session: { client: unknown; logger: { logQuery(query: string, params: unknown[]): void } } };

/**
 * Runs hot statements without Drizzle: no query building per request and no general-purpose row mapper (rows are the
 * driver's plain objects, named by the statements' aliases). They run on the scoped transaction's own connection, so
 * the RLS context applies exactly as it does to every other statement. On a server, the statements given together go
 * to PostgreSQL in one round trip (after the RLS settings, as a plain read, or opening the transaction when one of
 * them writes or locks); on PGlite they run one after the other in the transaction.
 */
export async function queryMany(tx: Tx, statements: Statement[]): Promise<Record<string, unknown>[][]> {
  const { client, logger } = (tx as unknown as RawSession).session;
  for (const st of statements) logger.logQuery(st.text, st.values);
  if (client instanceof ScopedConnection) return client.many(statements);
  const out: Record<string, unknown>[][] = [];
  const pglite = client as { query(text: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[] }> };
  for (const st of statements) out.push((await pglite.query(st.text, st.values)).rows);
  return out;
}

/** One statement of `queryMany`; its rows typed by the caller (the statement's aliases must match `T`). */
export async function queryRows<T>(tx: Tx, text: string, values: unknown[]): Promise<T[]> {
  return (await queryMany(tx, [{ text, values }]))[0] as T[];
}

const LOCKING = /\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b/i;
/**
 * Functions a SELECT may call that change something (a lock, a setting, a sequence, a notification, a transaction id,
 * a large object, another backend) — matched anywhere in the text, so a mention in a literal errs on the safe side.
 */
const SIDE_EFFECTS = /pg_(try_)?advisory|set_config|nextval|setval|pg_notify|txid_current|pg_current_xact_id|\blo_\w+\s*\(|pg_(cancel|terminate)_backend|pg_logical_emit_message|dblink|pg_sleep/i;
/**
 * A statement that only reads, so it may run outside BEGIN … COMMIT: one SELECT (not SELECT … INTO, which creates a
 * table; not several statements), no row locks, no function with side effects. Anything else opens the transaction.
 */
export function isPlainRead(text: string): boolean {
  return /^\s*select\b/i.test(text) && !LOCKING.test(text) && !SIDE_EFFECTS.test(text) && !/\binto\b/i.test(text) && !/;\s*\S/.test(text);
}

/** Replaces $1…$n outside quoted strings and identifiers with escaped literals of pg's own text form of each value. */
export function inlineParams(text: string, values: unknown[], literal: (v: string) => string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < text.length) {
        if (text[j] === ch) {
          if (text[j + 1] === ch) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '$' && i + 1 < text.length && text[i + 1]! >= '0' && text[i + 1]! <= '9') {
      let j = i + 1;
      while (j < text.length && text[j]! >= '0' && text[j]! <= '9') j++;
      const n = Number(text.slice(i + 1, j));
      if (n < 1 || n > values.length) throw new Error(`query parameter $${n} has no value`);
      const v = prepareValue(values[n - 1]);
      if (v === null || v === undefined) out += 'NULL';
      else if (Buffer.isBuffer(v)) out += `'\\x${v.toString('hex')}'::bytea`;
      else out += literal(String(v));
      i = j;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

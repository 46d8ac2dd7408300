import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import pg from 'pg';

/**
 * Database spans wrap pg's Client#query and Redis spans ioredis's sendCommand (patched here, so db.ts and the cache
 * adapter stay untouched); their names carry the operation only (`db SELECT`, `redis GET`), never the statement, its
 * parameters or a key. Why not @opentelemetry/instrumentation-pg / -ioredis: they patch modules as Node loads them,
 * which a bundle (the Lambda functions, dist/server) never does, and instrumentation-pg records the statement's text.
 */

/** Recording spans open in this process (request, job and event spans): while none is, a query costs one comparison. */
export const recording = { open: 0 };

/** Only under a sampled span: an unsampled request's queries start no span. */
const recordingParent = () => recording.open > 0 && trace.getSpan(context.active())?.isRecording() === true;

/** `SELECT`, `INSERT`, `BEGIN`… — the statement's first word, nothing else of it. */
const operation = (text: unknown) => (typeof text === 'string' ? /^\s*([a-z]+)/i.exec(text)?.[1]?.toUpperCase() ?? 'QUERY' : 'QUERY');

function endWith<T>(span: Span, result: T): T {
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    (result as unknown as Promise<unknown>).then(
      () => span.end(),
      (err) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as { code?: string })?.code ?? 'error' });
        span.end();
      },
    );
  } else span.end();
  return result;
}

export function patchPg(tracer: Tracer) {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    // Queries outside any sampled trace and the callback form (pg's internals) stay as they were.
    if (!recordingParent() || typeof args[args.length - 1] === 'function') return original.apply(this, args);
    const first = args[0] as string | { text?: string };
    const op = operation(typeof first === 'string' ? first : first?.text);
    const span = tracer.startSpan(`db ${op}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.operation.name': op } });
    return endWith(span, original.apply(this, args));
  };
  return () => {
    proto.query = original;
  };
}

export async function patchRedis(tracer: Tracer) {
  let mod: { Redis: { prototype: unknown }; Cluster: { prototype: unknown } };
  try {
    mod = await import('ioredis');
  } catch {
    return () => undefined;
  }
  const protos = [mod.Redis.prototype, mod.Cluster.prototype] as unknown as { sendCommand: (...args: unknown[]) => unknown }[];
  const originals = protos.map((p) => p.sendCommand);
  protos.forEach((p, i) => {
    const original = originals[i]!;
    p.sendCommand = function (this: unknown, ...args: unknown[]) {
      if (!recordingParent()) return original.apply(this, args);
      const name = String((args[0] as { name?: string })?.name ?? 'command').toUpperCase();
      const span = tracer.startSpan(`redis ${name}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'redis', 'db.operation.name': name } });
      const command = args[0] as { promise?: Promise<unknown> };
      const result = original.apply(this, args);
      endWith(span, command?.promise ?? result);
      return result;
    };
  });
  return () => protos.forEach((p, i) => (p.sendCommand = originals[i]!));
}

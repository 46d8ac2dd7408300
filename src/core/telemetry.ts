/**
 * Telemetry hooks (traces and metrics). Without OTEL_EXPORTER_OTLP_ENDPOINT nothing is installed: every hook is one
 * property read and a direct call, and the OpenTelemetry SDK is never loaded (the Lambda API bundle stays small).
 * With it, src/core/telemetry-otel.ts is imported once and stands behind these hooks. Attributes are ids and
 * templates only — never children's data, query text or parameters.
 */
import type { Attributes, RequestOutcome, TelemetryImpl, TelemetryOptions } from './telemetry-types.js';

export type { Attributes, RequestOutcome, TelemetryImpl, TelemetryOptions } from './telemetry-types.js';

let impl: TelemetryImpl | undefined;

export const telemetry = {
  get enabled() {
    return impl !== undefined;
  },
  request<T>(method: string, run: () => Promise<T>, outcome: () => RequestOutcome): Promise<T> {
    return impl ? impl.request(method, run, outcome) : run();
  },
  span<T>(name: string, attributes: Attributes, run: () => Promise<T>): Promise<T> {
    return impl ? impl.span(name, attributes, run) : run();
  },
  recordJob(type: string, outcome: string, ms: number) {
    impl?.recordJob(type, outcome, ms);
  },
  observeQueueDepth(read: () => Promise<number> | number) {
    impl?.observeQueueDepth(read);
  },
  async flush() {
    await impl?.flush();
  },
};

/** Installs OpenTelemetry once per process; a no-op when already installed. */
export async function startTelemetry(opts: TelemetryOptions): Promise<void> {
  if (impl) return;
  const { createOtelTelemetry } = await import('./telemetry-otel.js');
  impl = await createOtelTelemetry(opts);
}

export async function stopTelemetry() {
  const current = impl;
  impl = undefined;
  await current?.shutdown();
}

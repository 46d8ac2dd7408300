/**
 * Telemetry hooks (traces and metrics). Without OTEL_EXPORTER_OTLP_ENDPOINT nothing is installed: every hook is one
 * property read and a direct call, and the OpenTelemetry SDK is never loaded (the Lambda API bundle stays small).
 * With it, src/core/telemetry-otel.ts is imported once and stands behind these hooks. Attributes are ids and
 * templates only — never children's data, query text or parameters.
 */
import type { Attributes, DescribeJob, PoolStats, RequestOutcome, TelemetryImpl, TelemetryOptions } from './telemetry-types.js';

export type { Attributes, DescribeJob, PoolStats, RequestOutcome, TelemetryImpl, TelemetryOptions } from './telemetry-types.js';

let impl: TelemetryImpl | undefined;
const describeNothing: DescribeJob = () => undefined;

export const telemetry = {
  get enabled() {
    return impl !== undefined;
  },
  request<T>(method: string, traceParent: string | undefined, run: () => Promise<T>, outcome: () => RequestOutcome): Promise<T> {
    return impl ? impl.request(method, traceParent, run, outcome) : run();
  },
  span<T>(name: string, attributes: Attributes, run: () => Promise<T>): Promise<T> {
    return impl ? impl.span(name, attributes, run) : run();
  },
  linked<T>(name: string, attributes: Attributes, traceParent: string | null | undefined, run: () => Promise<T>): Promise<T> {
    return impl ? impl.linked(name, attributes, traceParent, run) : run();
  },
  job<T>(attributes: Attributes, run: (describe: DescribeJob) => Promise<T>): Promise<T> {
    return impl ? impl.job(attributes, run) : run(describeNothing);
  },
  recordJob(type: string, outcome: string, ms: number) {
    impl?.recordJob(type, outcome, ms);
  },
  observeQueueDepth(read: () => Promise<number> | number) {
    impl?.observeQueueDepth(read);
  },
  observeQueueAge(read: () => Promise<number | null> | number | null) {
    impl?.observeQueueAge(read);
  },
  observePool(name: string, read: () => PoolStats | undefined) {
    impl?.observePool(name, read);
  },
  /** The active span as a W3C `traceparent` (undefined when telemetry is off or no span is active). */
  traceParent(): string | undefined {
    return impl?.traceParent();
  },
  /** `trace_id` and `span_id` of the active span, for log lines. */
  logFields() {
    return impl?.logFields();
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

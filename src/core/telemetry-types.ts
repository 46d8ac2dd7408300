/** The shapes shared by the telemetry hooks (telemetry.ts) and the OpenTelemetry implementation behind them. */
export type Attributes = Record<string, string | number | boolean>;

export interface RequestOutcome {
  /** The matched route template (`/students/:id`), never the path itself. */
  route: string;
  status: number;
  requestId?: string;
  tenantId?: string | null;
}

/** A connection pool's state, read whenever metrics are collected. */
export interface PoolStats {
  /** Connections checked out. */
  used: number;
  idle: number;
  /** Callers waiting for a connection. */
  pending: number;
  max: number;
}

/** Names a job delivery's span once its row is read: the job type, and the trace that enqueued it (W3C traceparent). */
export type DescribeJob = (type: string, traceParent: string | null | undefined) => void;

export interface TelemetryImpl {
  /** A server span, the child of the caller's W3C `traceparent` when it sent a valid one. */
  request<T>(method: string, traceParent: string | undefined, run: () => Promise<T>, outcome: () => RequestOutcome): Promise<T>;
  span<T>(name: string, attributes: Attributes, run: () => Promise<T>): Promise<T>;
  /** A span linked to the trace that recorded the work (an outbox event's). */
  linked<T>(name: string, attributes: Attributes, traceParent: string | null | undefined, run: () => Promise<T>): Promise<T>;
  /** A job delivery's span: renamed after the job type and linked to the enqueueing request once `describe` is called. */
  job<T>(attributes: Attributes, run: (describe: DescribeJob) => Promise<T>): Promise<T>;
  recordJob(type: string, outcome: string, ms: number): void;
  /** Queue depth, read whenever metrics are collected. */
  observeQueueDepth(read: () => Promise<number> | number): void;
  /** How long the oldest job has been waiting (seconds), read whenever metrics are collected. */
  observeQueueAge(read: () => Promise<number | null> | number | null): void;
  /** The database pool, read whenever metrics are collected. */
  observePool(name: string, read: () => PoolStats | undefined): void;
  /** The active span as a W3C `traceparent` header (stored with a job and an outbox event). */
  traceParent(): string | undefined;
  /** The active span's ids for a log line. */
  logFields(): { trace_id: string; span_id: string } | undefined;
  /** Exports what is buffered (end of a Lambda invocation). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  serviceName: string;
  /** `service.version` (default: package.json's version). */
  serviceVersion?: string;
  /** `deployment.environment.name` (NODE_ENV by default); OTEL_RESOURCE_ATTRIBUTES may say otherwise. */
  environment?: string;
  /** `otlp` (OTEL_EXPORTER_OTLP_ENDPOINT) or `awsemf` (CloudWatch EMF lines on stdout, Lambda without a collector). */
  metricsExporter?: 'otlp' | 'awsemf';
  /** Spans are exported only to an OTLP endpoint (on Lambda: the ADOT collector layer's localhost:4318). */
  tracesExporter?: 'otlp' | 'none';
  /** The share of root traces sampled when OTEL_TRACES_SAMPLER is not set (default 0.1; tests pass 1). */
  traceRatio?: number;
  /** Tests hand in-memory exporters; otherwise OTLP over HTTP to OTEL_EXPORTER_OTLP_ENDPOINT. */
  exporters?: { spans: unknown; metrics: unknown; metricIntervalMs?: number };
}

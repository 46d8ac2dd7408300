/** The shapes shared by the telemetry hooks (telemetry.ts) and the OpenTelemetry implementation behind them. */
export type Attributes = Record<string, string | number | boolean>;

export interface RequestOutcome {
  /** The matched route template (`/students/:id`), never the path itself. */
  route: string;
  status: number;
  requestId?: string;
  tenantId?: string | null;
}

export interface TelemetryImpl {
  request<T>(method: string, run: () => Promise<T>, outcome: () => RequestOutcome): Promise<T>;
  span<T>(name: string, attributes: Attributes, run: () => Promise<T>): Promise<T>;
  recordJob(type: string, outcome: string, ms: number): void;
  /** Queue depth, read whenever metrics are collected. */
  observeQueueDepth(read: () => Promise<number> | number): void;
  /** Exports what is buffered (end of a Lambda invocation). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  serviceName: string;
  /** `otlp` (OTEL_EXPORTER_OTLP_ENDPOINT) or `awsemf` (CloudWatch EMF lines on stdout, Lambda without a collector). */
  metricsExporter?: 'otlp' | 'awsemf';
  /** Spans are exported only to an OTLP endpoint (on Lambda: the ADOT collector layer's localhost:4318). */
  tracesExporter?: 'otlp' | 'none';
  /** Tests hand in-memory exporters; otherwise OTLP over HTTP to OTEL_EXPORTER_OTLP_ENDPOINT. */
  exporters?: { spans: unknown; metrics: unknown; metricIntervalMs?: number };
}

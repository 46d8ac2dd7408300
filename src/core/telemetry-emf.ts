import { AggregationTemporality, DataPointType, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

/**
 * Metrics as CloudWatch Embedded Metric Format lines on stdout (Lambda: `OTEL_METRICS_EXPORTER=awsemf`): CloudWatch
 * Logs turns them into metrics with no collector, agent or API call. Deltas, one line per metric and attribute set;
 * a histogram is written as its mean weighted by its count (EMF's Values/Counts), plus its max.
 */
export class EmfMetricExporter implements PushMetricExporter {
  constructor(private readonly namespace: string, private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  export(resourceMetrics: ResourceMetrics, done: (result: { code: number }) => void): void {
    const timestamp = Date.now();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        const name = metric.descriptor.name;
        const unit = metric.descriptor.unit === 's' ? 'Seconds' : metric.dataPointType === DataPointType.HISTOGRAM ? 'None' : 'Count';
        for (const point of metric.dataPoints) {
          const dims = Object.fromEntries(Object.entries(point.attributes).map(([k, v]) => [k, String(v)]));
          let value: unknown;
          if (metric.dataPointType === DataPointType.HISTOGRAM) {
            const h = point.value as { sum?: number; count: number; max?: number };
            if (!h.count) continue;
            value = { Values: [(h.sum ?? 0) / h.count], Counts: [h.count] };
          } else value = point.value;
          this.write(
            JSON.stringify({
              _aws: { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: this.namespace, Dimensions: [Object.keys(dims)], Metrics: [{ Name: name, Unit: unit }] }] },
              ...dims,
              [name]: value,
            }),
          );
        }
      }
    }
    done({ code: 0 });
  }

  selectAggregationTemporality() {
    return AggregationTemporality.DELTA;
  }

  async forceFlush() {}
  async shutdown() {}
}

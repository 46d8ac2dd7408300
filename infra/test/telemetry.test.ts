import { afterAll, describe, expect, it } from 'vitest';
import { logicalId, removeStubLambdaDir, synth, type Synthesized } from './helpers.js';

/** Telemetry wiring (src/core/telemetry.ts): EMF metrics by default, ADOT traces on request, nothing when off. */
afterAll(removeStubLambdaDir);

const LAYER = 'arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-0-117-0:1';
const props = (s: Synthesized, which: 'apiFunction' | 'workerFunction' | 'migrateFunction') => s.json.Resources[logicalId(s.stack[which])]!.Properties;
const env = (s: Synthesized, which: 'apiFunction' | 'workerFunction' | 'migrateFunction') => (props(s, which).Environment.Variables ?? {}) as Record<string, unknown>;

describe('telemetry in the stack', () => {
  it('by default: api and worker write metrics as CloudWatch EMF lines (no collector, no OTLP endpoint); migrate has none', () => {
    const s = synth();
    for (const f of ['apiFunction', 'workerFunction'] as const) {
      expect(env(s, f)).toMatchObject({ OTEL_METRICS_EXPORTER: 'awsemf', OTEL_SERVICE_NAME: 'daycare' });
      expect(env(s, f).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
      expect(props(s, f).Layers).toBeUndefined();
    }
    expect(env(s, 'migrateFunction').OTEL_METRICS_EXPORTER).toBeUndefined();
  });

  it('telemetry=adot: the ADOT collector layer, spans to it over OTLP on localhost, X-Ray active tracing', () => {
    const s = synth({ context: { telemetry: 'adot', adotLayerArn: LAYER } });
    for (const f of ['apiFunction', 'workerFunction'] as const) {
      expect(env(s, f)).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318', OTEL_METRICS_EXPORTER: 'awsemf' });
      expect(props(s, f).Layers).toEqual([LAYER]);
      expect(props(s, f).TracingConfig).toEqual({ Mode: 'Active' });
    }
    expect(props(s, 'migrateFunction').Layers).toBeUndefined();
  });

  it('telemetry=off: no variable, no layer; adot without a layer ARN is refused', () => {
    const s = synth({ context: { telemetry: 'off' } });
    expect(Object.keys(env(s, 'apiFunction')).filter((k) => k.startsWith('OTEL_'))).toEqual([]);
    expect(() => synth({ context: { telemetry: 'adot' } })).toThrow(/adotLayerArn/);
    expect(() => synth({ context: { telemetry: 'xray' } })).toThrow(/telemetry/);
  });
});

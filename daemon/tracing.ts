import { type Logger, safeUrl, type Secret } from '../core/index.js';

/**
 * OpenTelemetry: code everywhere uses only @opentelemetry/api (spans around each event's handling
 * in core/bus/process-record.ts). An SDK with an OTLP/HTTP exporter is loaded only when
 * tracing.otlpEndpoint is configured; otherwise the API's no-op tracer costs nothing.
 */
export interface TracingConfig {
  otlpEndpoint?: Secret | undefined;
  headers?: Record<string, Secret> | undefined;
  serviceName: string;
}

export async function startTracing(cfg: TracingConfig, logger: Logger): Promise<{ stop(): Promise<void> }> {
  if (!cfg.otlpEndpoint) return { stop: async () => {} };
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const url = cfg.otlpEndpoint.reveal();
  const headers = Object.fromEntries(Object.entries(cfg.headers ?? {}).map(([k, v]) => [k, v.reveal()]));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': cfg.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url, headers }))],
  });
  provider.register();
  // Origin and path only: userinfo and a query (`api_key`) are credentials; header values are never logged.
  logger.info({ endpoint: safeUrl(url), headers: Object.keys(headers) }, 'exporting traces over OTLP/HTTP');
  return { stop: () => provider.shutdown() };
}

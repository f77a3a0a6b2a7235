import type { Logger } from '../core/index.js';

/**
 * OpenTelemetry: code everywhere uses only @opentelemetry/api (spans around each event's handling
 * in core/bus/process-record.ts). An SDK with an OTLP/HTTP exporter is loaded only when
 * tracing.otlpEndpoint is configured; otherwise the API's no-op tracer costs nothing.
 */
export async function startTracing(cfg: { otlpEndpoint?: string | undefined; serviceName: string }, logger: Logger): Promise<{ stop(): Promise<void> }> {
  if (!cfg.otlpEndpoint) return { stop: async () => {} };
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': cfg.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: cfg.otlpEndpoint }))],
  });
  provider.register();
  logger.info({ endpoint: cfg.otlpEndpoint }, 'exporting traces over OTLP/HTTP');
  return { stop: () => provider.shutdown() };
}

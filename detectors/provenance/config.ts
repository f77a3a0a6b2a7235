import { z } from 'zod';
import { duration, SEVERITIES } from '../../core/index.js';

/** `detectors.provenance`: the provenance anomaly detector (docs/provenance.md). Absent section = off; commands read it too. */
export const provenanceConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Model file (metadata beside it, x.onnx -> x.json); default: the model shipped in detectors/provenance/model/. */
    model: z.string().min(1).optional(),
    /** Extra builder id prefixes to treat as trusted (self-run builders an organisation vouches for). */
    trustedBuilders: z.array(z.string().min(1)).default([]),
    group: z.string().min(1).default('detector.provenance'),
    source: z.string().min(1).default('chainwatch://detectors/provenance'),
    /** Severity of `provenance.anomalous`. */
    severity: z.enum(SEVERITIES).default('medium'),
    /** Documents scored per inference call at most (events arriving together are scored together). */
    batchSize: z.number().int().min(1).max(4096).default(64),
    /** How long the first document of a micro-batch waits for others. */
    batchWait: duration({ min: 0 }).default(10),
    /** How often the model file's modification time is checked (hot reload). */
    modelCheckInterval: duration({ min: 10 }).default(5_000),
  })
  .strict();
export type ProvenanceConfig = z.output<typeof provenanceConfigSchema>;
export type ProvenanceConfigInput = z.input<typeof provenanceConfigSchema>;

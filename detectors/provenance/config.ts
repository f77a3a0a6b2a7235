import { z } from 'zod';

/** `detectors.provenance`: the provenance anomaly model (docs/provenance.md). Commands read it; absent = defaults. */
export const provenanceConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Model file (metadata beside it, x.onnx -> x.json); default: the model shipped in detectors/provenance/model/. */
    model: z.string().min(1).optional(),
    /** Extra builder id prefixes to treat as trusted (self-run builders an organisation vouches for). */
    trustedBuilders: z.array(z.string().min(1)).default([]),
  })
  .strict();
export type ProvenanceConfig = z.output<typeof provenanceConfigSchema>;

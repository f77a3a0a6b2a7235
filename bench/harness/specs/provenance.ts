/** Provenance scoring. */
import type { BenchSpec } from '../spec.js';

export const provenance: BenchSpec = {
  name: 'provenance',
  title: 'Provenance scoring: feature extraction and ONNX inference vs JSON.parse',
  order: 14,
  page: 'provenance.md',
  args: ['--seconds', '1', '--rounds', '3', '--batch', '256'],
  nodeArgs: [],
  services: [],
  measurements: {
    parse: { label: 'baseline: plain JSON.parse of the same documents (median of rounds)', unit: 'documents/CPU-s' },
    extract: {
      label: 'feature extraction: parse + depth check + normalise + history context + features + history update (median of rounds)',
      unit: 'documents/CPU-s',
    },
    infer: { label: 'inference alone on extracted rows, batches of 256, onnxruntime-node one thread (median of rounds)', unit: 'documents/CPU-s' },
    batched: {
      label: 'scored batched: extraction + scoreBatch (inference, floor rules, attribution), batches of 256 (median of rounds)',
      unit: 'documents/CPU-s',
    },
    single: { label: 'scored one at a time: extraction + scoreBatch of one document (median of rounds)', unit: 'documents/CPU-s' },
    batchedRatio: { label: 'batched rate / JSON.parse rate, median over interleaved rounds', unit: 'ratio' },
    extractRatio: { label: 'extraction rate / JSON.parse rate, median over interleaved rounds', unit: 'ratio' },
    singleP50: { label: 'single-document latency (extraction + scoring), median, wall clock, last round', unit: 'µs' },
    singleP99: { label: 'single-document latency (extraction + scoring), 99th percentile, wall clock, last round', unit: 'µs' },
    corpus: { label: 'documents: generated releases of 50 repositories x 20, each against its earlier releases', unit: 'count' },
    docBytes: { label: 'mean document (in-toto Statement JSON) size', unit: 'B' },
    batch: { label: 'documents per inference call (batched)', unit: 'count' },
  },
  figures: [
    {
      id: 'batched',
      label: 'documents scored per CPU-second, batched, vs JSON.parse of the same documents',
      value: 'batched',
      baseline: 'parse',
      ratio: { measurement: 'batchedRatio', method: 'median over interleaved rounds of batched documents/CPU-s / JSON.parse documents/CPU-s' },
      better: 'higher',
      checks: [{ of: 'value', op: '>=', bound: 20000 }],
      tolerance: 0.3,
    },
    {
      id: 'extract',
      label: 'feature extraction alone vs JSON.parse of the same documents',
      value: 'extract',
      baseline: 'parse',
      ratio: { measurement: 'extractRatio', method: 'median over interleaved rounds of extraction documents/CPU-s / JSON.parse documents/CPU-s' },
      better: 'higher',
      tolerance: 0.3,
    },
    {
      id: 'single-p99',
      label: 'p99 wall-clock latency of one document scored alone (extraction + inference + attribution; includes preemption on the shared machine)',
      value: 'singleP99',
      better: 'lower',
      checks: [{ of: 'value', op: '<=', bound: 2000 }],
      tolerance: 0.5,
    },
  ],
};

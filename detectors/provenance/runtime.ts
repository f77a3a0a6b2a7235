import { ModelError } from './errors.js';

/**
 * The port the scorer runs models through, so the inference engine can be swapped (another ONNX
 * runtime, a WASM build, a remote scorer) without touching features, thresholds or findings.
 * A runtime turns model bytes into a ScoringSession; a session scores a batch of rows at once
 * (row-major float32, `rows` x `width`) and returns one raw score per row in the model's own sign.
 */
export interface ScoringSession {
  readonly width: number;
  score(batch: Float32Array, rows: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export interface ScoringRuntime {
  readonly name: string;
  /** Throws ModelError MODEL_CORRUPT when the bytes are not a model this runtime can run with `width` inputs. */
  load(bytes: Uint8Array, width: number, scoreOutput: string): Promise<ScoringSession>;
}

/** onnxruntime-node (CPU): the default runtime. Loaded lazily: most commands never score anything. */
export class OnnxRuntime implements ScoringRuntime {
  readonly name = 'onnxruntime-node';

  async load(bytes: Uint8Array, width: number, scoreOutput: string): Promise<ScoringSession> {
    const ort = await import('onnxruntime-node');
    let session: import('onnxruntime-node').InferenceSession;
    try {
      // One intra-op thread: the daemon shares the machine; batching gives the throughput.
      session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    } catch (e) {
      throw new ModelError('MODEL_CORRUPT', 'the ONNX runtime refused the model file', { cause: e });
    }
    const input = session.inputNames[0];
    if (input === undefined || !session.outputNames.includes(scoreOutput)) {
      await session.release();
      throw new ModelError('MODEL_CORRUPT', `the model has no input or no output named ${scoreOutput}`);
    }
    return {
      width,
      async score(batch, rows) {
        try {
          const out = await session.run({ [input]: new ort.Tensor('float32', batch, [rows, width]) }, [scoreOutput]);
          const t = out[scoreOutput]!;
          return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
        } catch (e) {
          throw new ModelError('MODEL_INFERENCE_FAILED', 'the ONNX runtime failed to score a batch', { cause: e });
        }
      },
      release: () => session.release(),
    };
  }
}

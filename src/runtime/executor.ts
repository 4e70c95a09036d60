/**
 * The executor interface: one per ONNX Runtime flavour (onnxruntime-node, onnxruntime-web/wasm), both
 * passing the same contract suite. Tensors cross it as plain typed arrays, so callers never import ORT.
 */
export type ExecDType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';
export type ExecData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface ExecTensor {
  readonly type: ExecDType;
  readonly data: ExecData;
  readonly dims: readonly number[];
}

export interface SessionOptions {
  /** Intra-op threads (node executor's default: every core this process may use, `availableCores()`). */
  readonly threads?: number;
}

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the model. `outputs` names what to fetch; where an entry carries a tensor, the result is written
   * into its buffer (no copy, no allocation). Never pass an output buffer that is also an input's buffer.
   */
  run(
    feeds: Readonly<Record<string, ExecTensor>>,
    outputs: Readonly<Record<string, ExecTensor | null>>,
  ): Promise<Record<string, ExecTensor>>;
  release(): Promise<void>;
}

export interface Executor {
  readonly name: 'node' | 'web';
  /** The intra-op threads a session gets when `SessionOptions.threads` is not set. */
  defaultThreads(): number;
  createSession(model: Uint8Array, options?: SessionOptions): Promise<Session>;
}

export type { ExecDType, ExecData, ExecTensor, Executor, Session, SessionOptions } from './executor.js';
export { DEFAULT_THREADS } from './executor.js';
export { nodeExecutor } from './node.js';
export { webExecutor } from './web.js';
export { defaultExecutor } from './default.js';

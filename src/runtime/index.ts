export type { ExecDType, ExecData, ExecTensor, Executor, Session, SessionOptions } from './executor.js';
export { availableCores, cgroupCpuLimit, type ReadText } from './cores.js';
export { nodeExecutor } from './node.js';
export { webExecutor } from './web.js';
export { defaultExecutor } from './default.js';

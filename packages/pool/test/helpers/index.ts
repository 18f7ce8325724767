export { type Sandbox, type SandboxPoolOptions, useSandbox } from './sandbox.js';
export {
  BUILT_ENTRY,
  canMountReadOnly,
  type Child,
  holdExclusiveLock,
  holdWriteLock,
  killAll,
  type LockHolder,
  type OpenRootOutcome,
  openRootInChild,
  requireBuiltEntry,
  sigkill,
  spawnNode,
  startConsumer,
  startPoolCloseBound,
  startPoolLifecycle,
  startPoolWriter,
  writeInChild,
  writeInChildSync,
} from './children.js';
export { type CorruptedHeader, corruptHeader } from './faults.js';
export {
  type CodedError,
  cpuMsDuring,
  expectRejectCode,
  expectThrowCode,
  nextMacrotask,
  rejectionOf,
  sleep,
  timed,
  waitFor,
  within,
} from './assert.js';

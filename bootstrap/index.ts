// Public surface of bootstrap for the extension and the CLI.
export { KernelSupervisor, type KernelState, type SupervisorOptions } from './supervisor';
export { readConfig, statePaths, type BootstrapConfig, type Paths } from '../core/src/config/bootstrap';
export { detectEngine, candidateSockets, type Engine, type EngineKind } from '../core/src/engine/detect';
export { containerName, CLIENT } from './kernel';
export { workspaceUser } from '../core/src/engine/workspace-owner';
export { kernelImageSpec } from '../templates/builder/kernel-image';

// Public surface of bootstrap for the extension and the CLI.
export { KernelSupervisor, type KernelState, type SupervisorOptions } from './supervisor';
export { readConfig, statePaths, type BootstrapConfig, type Paths } from './config';
export { detectEngine, candidateSockets, type Engine, type EngineKind } from './runtime';
export { kernelImageSpec, containerName, workspaceUser, CLIENT } from './kernel';

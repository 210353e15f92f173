// Public surface of the policy module for the kernel (tool router, patch mode, sandbox manager) and the CLI.
export { PolicyEngine, HARD_LIMITS } from './engine';
export type { IPolicyEngine, PolicyEngineOptions, PolicyChange } from './engine';
export { createDefaultPolicyEngine, defaultPoliciesDir, defaultPolicyPath, DEFAULT_MODES } from './defaults';
export { PolicyLoadError, formatProblem, readPolicyFile, parsePolicyText, compilePolicy } from './loader';
export type { PolicyProblem } from './loader';
export { checkExamples } from './examples';
export { TokenService } from './tokens';
export { parseSize, parseDuration } from './units';
export { parseCommandLine } from './shell';
export { normalisePath, normalisePathLexical } from './normalise';

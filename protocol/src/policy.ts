// Policy wire types: the request the engine judges, the decision it returns, and the YAML policy file shape.
import { z } from 'zod';

export const MAX_RESOURCE_LENGTH = 8192;
export const MAX_SUBJECT_ID_LENGTH = 256;

export const SubjectKind = z.enum(['agent', 'plugin', 'user', 'kernel']);
export type SubjectKind = z.infer<typeof SubjectKind>;

export const Subject = z.object({
  kind: SubjectKind,
  id: z.string().min(1).max(MAX_SUBJECT_ID_LENGTH),
  tags: z.array(z.string().min(1).max(128)).max(64).default([]),
});
export type Subject = z.infer<typeof Subject>;

export const Mode = z.string().min(1).max(64);

export const PolicyRequest = z.object({
  subject: Subject,
  /** Dotted action name (`fs.read`, `exec`, ...). Unknown actions are denied, not rejected, so the denial is audited. */
  action: z.string().min(1).max(128),
  /** A workspace path, an absolute path, `host:port` or a command line, depending on the action. */
  resource: z.string().max(MAX_RESOURCE_LENGTH * 4),
  context: z
    .object({
      mode: Mode.optional(),
      size: z.number().nonnegative().optional(),
      timeout_ms: z.number().nonnegative().optional(),
      token: z.string().max(4096).optional(),
      /** patch.apply: the tests passed on exactly the tree being merged (review/verify); absent = not known. */
      tests_passed_on_accepted: z.boolean().optional(),
    })
    .default({}),
});
export type PolicyRequest = z.infer<typeof PolicyRequest>;
export type PolicyRequestInput = z.input<typeof PolicyRequest>;

export const Effect = z.enum(['allow', 'ask', 'deny']);
export type Effect = z.infer<typeof Effect>;

/** Aggregated limits: the tightest value of every limit carried by a matching rule. */
export const DecisionLimits = z.object({
  timeout_ms: z.number(),
  memory_bytes: z.number(),
  output_bytes: z.number().optional(),
  pids: z.number().optional(),
});
export type DecisionLimits = z.infer<typeof DecisionLimits>;

export const Decision = z.object({
  decision: Effect,
  /** Ids of every rule that matched, sorted (order of rules never matters). */
  matched: z.array(z.string()),
  limits: DecisionLimits,
  reason: z.string(),
});
export type Decision = z.infer<typeof Decision>;

// ---- the policy file (YAML) ----

const Patterns = z.array(z.string().min(1).max(1024)).min(1);
/** Sizes (`10MB`, `1.5GiB`) and durations (`500ms`, `30s`) stay strings here; core/src/policy/units.ts parses them. */
const Unit = z.union([z.string().min(1).max(32), z.number().nonnegative()]);

export const RuleLimits = z.strictObject({
  timeout: Unit.optional(),
  memory: Unit.optional(),
  output: Unit.optional(),
  pids: z.number().int().positive().optional(),
});
export type RuleLimits = z.infer<typeof RuleLimits>;

/** An example request: like PolicyRequest, but the subject may be a `kind:id` string and defaults to `agent:example`. */
export const ExampleRequest = z.strictObject({
  subject: z.union([z.string().regex(/^(agent|plugin|user|kernel):.+$/), Subject]).optional(),
  action: z.string().min(1).max(128),
  resource: z.string().max(MAX_RESOURCE_LENGTH),
  context: PolicyRequest.shape.context.optional(),
});
export type ExampleRequest = z.infer<typeof ExampleRequest>;

export const PolicyRule = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'rule ids are letters, digits and _ . : - (at most 128)'),
  effect: Effect,
  subjects: Patterns.optional(),
  actions: Patterns,
  resources: Patterns.optional(),
  except: Patterns.optional(),
  when: z
    .strictObject({
      modes: z.array(Mode).min(1).optional(),
      max_size: Unit.optional(),
      /** Matches when the request's `context.tests_passed_on_accepted` equals this (unknown counts as false). */
      tests_passed_on_accepted: z.boolean().optional(),
    })
    .optional(),
  limits: RuleLimits.optional(),
  reason: z.string().max(500).optional(),
  /** A TypeScript module (relative to the policy file) whose default export judges the request; run by Deno. */
  predicate: z.string().min(1).max(1024).optional(),
  examples: z
    .strictObject({
      match: z.array(ExampleRequest).optional(),
      not_match: z.array(ExampleRequest).optional(),
    })
    .optional(),
});
export type PolicyRule = z.infer<typeof PolicyRule>;

export const PolicyFile = z.strictObject({
  version: z.literal(1),
  description: z.string().max(2000).optional(),
  /** Ceiling limits for every decision from this file (tightest wins across files and rules). */
  defaults: RuleLimits.optional(),
  rules: z.array(PolicyRule).max(100_000).default([]),
});
export type PolicyFile = z.infer<typeof PolicyFile>;

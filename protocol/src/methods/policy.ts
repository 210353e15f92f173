// Policy methods: judge a request with the kernel's engine; reload and report on the loaded policy.
import { z } from 'zod';
import { Decision, PolicyRequest } from '../policy';

export const policyMethods = {
  'policy/evaluate': [PolicyRequest, Decision],
  'policy/check': [
    z.object({ reload: z.boolean().optional() }),
    z.object({ ok: z.boolean(), files: z.array(z.string()), rules: z.number().int(), problems: z.array(z.string()) }),
  ],
} as const;

// Portable attestation of a merged patch set: an in-toto statement (SLSA-style provenance predicate) in a DSSE envelope
// signed with the kernel's Ed25519 attestation key, bundled with the audit entries and hunks it references.
import { z } from 'zod';
import { AuditEntry } from './audit';

export const IN_TOTO_STATEMENT = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE = 'https://slsa.dev/provenance/v1';
export const AIRLOCK_BUILD_TYPE = 'https://airlock.dev/attestation/merge/v1';
export const DSSE_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** An in-toto ResourceDescriptor as this statement uses it. */
export const Resource = z.object({
  name: z.string(),
  digest: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.unknown()).optional(),
});

export const Statement = z.object({
  _type: z.literal(IN_TOTO_STATEMENT),
  /** Each file the set's merges left, with its content hash after the merge. */
  subject: z.array(Resource),
  predicateType: z.literal(SLSA_PROVENANCE),
  predicate: z.object({
    buildDefinition: z.object({
      buildType: z.literal(AIRLOCK_BUILD_TYPE),
      externalParameters: z.object({
        patchSet: z.string(),
        taskId: z.string().optional(),
        provider: z.string().optional(),
        model: z.string().optional(),
        mode: z.string().optional(),
      }),
      internalParameters: z.object({ verification: z.unknown().optional() }).optional(),
      resolvedDependencies: z.array(Resource),
    }),
    runDetails: z.object({
      builder: z.object({ id: z.string(), version: z.record(z.string(), z.string()).optional() }),
      metadata: z.object({ invocationId: z.string(), finishedOn: z.string() }),
      /** The audit log the evidence is in (`audit:log`, digest = the chain's head hash at signing) and each referenced
       * entry (`audit:<seq>`, digest = the entry's chain hash, annotation = its action). */
      byproducts: z.array(Resource),
    }),
  }),
});
export type Statement = z.infer<typeof Statement>;

export const Envelope = z.object({
  payloadType: z.literal(DSSE_PAYLOAD_TYPE),
  /** base64 of the statement's JSON. */
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })).min(1),
});
export type Envelope = z.infer<typeof Envelope>;

/** What `airlock audit attest` writes: the envelope plus what a verifier needs without the kernel. */
export const AttestationBundle = z.object({
  envelope: Envelope,
  /** The kernel's attestation public key (Ed25519, SPKI PEM); pin it with `verify-attestation --pubkey`. */
  publicKey: z.string(),
  /** The audit entries the statement references, in full (payloads as stored). */
  entries: z.array(AuditEntry),
  /** The merged hunks' lines; each one's digest is in a referenced `review.merged` entry. */
  hunks: z.array(z.object({ path: z.string(), hunkId: z.string(), hunkDigest: Hex64, lines: z.array(z.string()) })),
});
export type AttestationBundle = z.infer<typeof AttestationBundle>;

// The images Airlock builds for itself: recipe names, their labels and the user-facing way to prepare them.
import { z } from 'zod';

/** How a sandbox template's image is built when the template names no `image` of its own. */
export const ImageRecipe = z.enum(['node', 'debian']);
export type ImageRecipe = z.infer<typeof ImageRecipe>;

/** Label on images built for a template recipe (`node`, `debian`); the runtime picks the newest. */
export const IMAGE_FOR_LABEL = 'airlock.image-for';
/** Label value `airlock.role` of the kernel image (its containers are `airlock.role=kernel`). */
export const KERNEL_IMAGE_ROLE = 'kernel-image';
/** The exec agent's own Node.js in our sandbox images, execute-only (0111) so the agent is not dumpable. */
export const AGENT_NODE = '/usr/libexec/airlock/node';

/** What `airlock images list` calls each image Airlock uses. */
export type ImageKind = 'kernel' | 'sandbox-node' | 'code-executor';
export const RECIPE_IMAGE: Record<ImageRecipe, ImageKind> = { node: 'sandbox-node', debian: 'code-executor' };

/** Where a person without a checkout prepares the images: the CLI or the extension (no tsx, no npm scripts). */
export const PREPARE_IMAGES_HINT = 'prepare them: `airlock images prepare` (VS Code: **Airlock: Prepare Images**)';

/** The part of a sandbox template that decides its image (the kernel validates the whole template). */
export const TemplateImageFields = z.object({ image: z.string().min(1).optional(), build: ImageRecipe.default('node') });
export type TemplateImageFields = z.infer<typeof TemplateImageFields>;

/** What an images manifest names: the kernel image and each sandbox recipe's image. */
export const ManifestImage = z.enum(['kernel', 'node', 'debian']);
export type ManifestImage = z.infer<typeof ManifestImage>;
/** The repository (under the registry prefix) each published image goes to. */
export const MANIFEST_REPO: Record<ManifestImage, string> = { kernel: 'kernel', node: 'sandbox-node', debian: 'code-executor' };

/** `HOST[:PORT]/PREFIX` (the prefix may be empty or nested): where images are published and pulled from. */
export const RegistryPrefix = z
  .string()
  .max(255)
  .regex(/^[a-z0-9.-]+(:\d{1,5})?(\/[a-z0-9._-]+)*$/, 'HOST[:PORT]/PREFIX, e.g. 127.0.0.1:5000/airlock (lower case)');
/** An image by name and content digest, never by a mutable tag. */
export const DigestRef = z
  .string()
  .max(512)
  .regex(/^[a-z0-9.:/_-]+@sha256:[0-9a-f]{64}$/, 'NAME@sha256:<64 hex digits>');

/** The images manifest a release ships (`airlock images publish` writes it, `prepare --from-registry` reads it). */
export const ImagesManifest = z
  .object({
    schema: z.literal(1),
    airlock: z
      .object({
        version: z.string().min(1).max(64),
        commit: z
          .string()
          .regex(/^[0-9a-f]{7,40}$/)
          .optional(),
      })
      .strict(),
    registry: RegistryPrefix,
    images: z.partialRecord(ManifestImage, DigestRef),
    created: z.string().datetime().optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    for (const [name, ref] of Object.entries(m.images)) {
      const want = `${m.registry}/${MANIFEST_REPO[name as ManifestImage]}@`;
      if (!ref.startsWith(want)) ctx.addIssue({ code: 'custom', path: ['images', name], message: `must be ${want}sha256:…` });
    }
  });
export type ImagesManifest = z.infer<typeof ImagesManifest>;

/** The registry `airlock images prepare` pulls from when set (the CLI flag wins; the extension's preparation honours it). */
export const IMAGE_REGISTRY_ENV = 'AIRLOCK_IMAGE_REGISTRY';
/** The images manifest to pull by (default: the one shipped with Airlock, dist/images.json). */
export const IMAGE_MANIFEST_ENV = 'AIRLOCK_IMAGE_MANIFEST';
/** A Node.js 20 Debian base pinned by digest (`HOST/NAME@sha256:…`): the engine builds the images FROM it (templates/docker). */
export const IMAGE_BASE_ENV = 'AIRLOCK_IMAGE_BASE';

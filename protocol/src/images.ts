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

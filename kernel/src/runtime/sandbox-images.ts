// Which image a sandbox template runs: the one it names, or the one built for its recipe (found once, then cached).
import { AirlockError } from '../../../protocol/src/errors';
import { PREPARE_IMAGES_HINT } from '../../../protocol/src/images';
import type { SandboxTemplate } from '../../../core/src/templates';
import { IMAGE_FOR_LABEL, type IContainerRuntime } from './types';

export class TemplateImages {
  private readonly byRecipe = new Map<string, string>();

  constructor(private readonly runtime: IContainerRuntime) {}

  async resolve(t: SandboxTemplate): Promise<string> {
    if (t.image) return t.image;
    const cached = this.byRecipe.get(t.build);
    if (cached) return cached;
    const ref = await this.runtime.findImage({ [IMAGE_FOR_LABEL]: t.build });
    if (!ref) {
      throw new AirlockError(
        'SANDBOX_NO_IMAGE',
        `no image built for template ${t.name} (recipe ${t.build}) in ${this.runtime.engine}`,
        `${PREPARE_IMAGES_HINT} for ${this.runtime.engine}, or set \`image\` in templates/sandbox/${t.name}.yaml`,
      );
    }
    this.byRecipe.set(t.build, ref);
    return ref;
  }
}

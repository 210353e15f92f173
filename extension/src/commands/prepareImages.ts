// Airlock: Prepare Images — builds (or finds) the kernel image and every sandbox template's image, with progress.
import type { ImagePreparer } from '../kernel/imagePreparer';

export function prepareImagesCommand(preparer: ImagePreparer) {
  return (): Promise<boolean> => preparer.prepare({ sandboxesOnly: false, announce: true });
}

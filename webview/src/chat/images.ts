// The composer's images: pasted or picked files, checked against the same caps as task/start, shown as removable chips.
import { base64Bytes, type ImageInput, ImageMediaType, MAX_IMAGE_BYTES, MAX_IMAGES, MAX_IMAGES_BYTES } from '../../../protocol/src/agent';
import { escapeHtml } from '../shared/markdown';

export interface Pending extends ImageInput {
  name: string;
}

const kb = (n: number) => `${Math.ceil(n / 1024)} KB`;

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error ?? new Error('the file could not be read'));
    r.readAsDataURL(file);
  });
}

/** Adds `files` to `pending`; returns why one was refused (the rest are kept), or undefined. */
export async function addImages(pending: Pending[], files: Iterable<File>): Promise<string | undefined> {
  for (const f of files) {
    const type = ImageMediaType.safeParse(f.type);
    if (!type.success) return `${f.name || 'that file'} is not a PNG, JPEG, GIF or WebP image`;
    if (pending.length >= MAX_IMAGES) return `at most ${MAX_IMAGES} images per message`;
    if (f.size > MAX_IMAGE_BYTES) return `${f.name || 'the image'} is ${kb(f.size)}; one image may be ${kb(MAX_IMAGE_BYTES)}`;
    const total = pending.reduce((n, p) => n + base64Bytes(p.data), 0) + f.size;
    if (total > MAX_IMAGES_BYTES) return `the images would be ${kb(total)} together; the limit is ${kb(MAX_IMAGES_BYTES)}`;
    pending.push({ name: f.name || `pasted.${type.data.slice(6)}`, mediaType: type.data, data: await readBase64(f) });
  }
  return undefined;
}

export function renderImages(el: HTMLElement, pending: readonly Pending[]): void {
  el.hidden = pending.length === 0;
  el.innerHTML = pending
    .map(
      (p, i) =>
        `<span class="chip image-chip">${escapeHtml(p.name)} (${kb(base64Bytes(p.data))})` +
        `<button class="chip-remove" data-remove-image="${i}" aria-label="Remove the image ${escapeHtml(p.name)}" title="Remove">×</button></span>`,
    )
    .join(' ');
}

// Images given with a task's prompt: only for providers that take images, and only real PNG/JPEG/GIF/WebP data.
import type { ImageInput, ProviderName } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import { createHash } from 'node:crypto';

/** Providers that send images to the model (openai-compatible: the server's model decides, and says so if it cannot). */
const TAKES_IMAGES: Record<ProviderName, boolean> = {
  openai: true,
  'openai-responses': true,
  anthropic: true,
  google: true,
  'openai-compatible': true,
  replay: false,
  'vscode-lm': false,
};

const MAGIC: Record<ImageInput['mediaType'], (b: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => /^GIF8[79]a/.test(b.subarray(0, 6).toString('latin1')),
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};

/**
 * Refuses images the task's provider cannot take, and data that is not the image type it claims (the schema already
 * capped count and sizes). Returns what the audit entry records of them: type, size and digest, never the data.
 */
export function checkImages(
  provider: ProviderName,
  images: readonly ImageInput[] | undefined,
): Array<{ mediaType: string; bytes: number; sha256: string }> {
  if (!images?.length) return [];
  if (!TAKES_IMAGES[provider]) {
    throw new AirlockError(
      'AGENT_IMAGES_UNSUPPORTED',
      `the ${provider} provider takes no images`,
      'remove the images, or choose a provider that takes them (openai, openai-responses, anthropic, google, or an OpenAI-compatible server with a vision model)',
    );
  }
  return images.map((i, n) => {
    const b = Buffer.from(i.data, 'base64');
    if (!MAGIC[i.mediaType](b))
      throw new AirlockError('AGENT_IMAGE_INVALID', `image ${n + 1} is not ${i.mediaType} data`, 'attach PNG, JPEG, GIF or WebP images');
    return { mediaType: i.mediaType, bytes: b.length, sha256: createHash('sha256').update(b).digest('hex') };
  });
}

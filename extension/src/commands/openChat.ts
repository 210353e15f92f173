// Airlock: Open Chat — reveals the chat view in its Activity Bar container (or wherever the person moved it).
import type { ChatViewProvider } from '../chat/chatViewProvider';

export function openChat(provider: ChatViewProvider) {
  return () => provider.reveal();
}

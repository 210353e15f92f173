// Reads a "patch set produced" event, whatever the kernel names it, into what the chat's review link needs.
import { z } from 'zod';

const PatchEvent = z.object({
  taskId: z.string().optional(),
  set: z.object({ id: z.string(), taskId: z.string().optional(), files: z.union([z.number(), z.array(z.unknown())]), stats: z.object({ added: z.number(), removed: z.number() }).optional(), added: z.number().optional(), removed: z.number().optional() }).optional(),
  setId: z.string().optional(),
  files: z.number().optional(), added: z.number().optional(), removed: z.number().optional(),
});

export function patchSetFromEvent(data: unknown): { taskId: string; setId: string; files: number; added: number; removed: number } | undefined {
  const r = PatchEvent.safeParse(data);
  if (!r.success) return undefined;
  const d = r.data;
  const setId = d.set?.id ?? d.setId;
  const taskId = d.set?.taskId ?? d.taskId;
  if (!setId || !taskId) return undefined;
  const files = d.set ? (Array.isArray(d.set.files) ? d.set.files.length : d.set.files) : d.files ?? 0;
  const added = d.set?.stats?.added ?? d.set?.added ?? d.added ?? 0;
  const removed = d.set?.stats?.removed ?? d.set?.removed ?? d.removed ?? 0;
  return { taskId, setId, files, added, removed };
}

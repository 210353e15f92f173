// Worker thread of search.grep: reads and scans the chunks of files the main thread hands it.
import * as fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { compile, GrepMatch, GrepQuery, scanBuffer } from './grep-core';

export interface ChunkRequest { id: number; query: GrepQuery; files: string[]; rels: string[]; limit: number }
export interface ChunkResponse { id: number; matches: GrepMatch[]; searched: number; error?: string }

// One reusable read buffer: most source files fit, so a file costs open + read + close and no allocation.
const scratch = Buffer.allocUnsafe(1 << 20);

export function readSmall(file: string, maxBytes: number): Buffer | undefined {
  let fd: number;
  try { fd = fs.openSync(file, 'r'); } catch { return undefined; }
  try {
    const n = fs.readSync(fd, scratch, 0, scratch.length, 0);
    if (n < scratch.length) return scratch.subarray(0, n);
    const size = fs.fstatSync(fd).size;
    if (size > maxBytes) return undefined;
    return fs.readFileSync(file);
  } catch { return undefined; } finally { fs.closeSync(fd); }
}

export function scanChunk(req: ChunkRequest): ChunkResponse {
  const { re, literal } = compile(req.query);
  const maxBytes = req.query.maxFileBytes ?? 4 * 1024 * 1024;
  const matches: GrepMatch[] = [];
  let searched = 0;
  for (let i = 0; i < req.files.length && matches.length < req.limit; i++) {
    const buf = readSmall(req.files[i], maxBytes);
    if (!buf) continue;
    searched++;
    scanBuffer(buf, req.rels[i], re, literal, matches, req.limit);
  }
  return { id: req.id, matches, searched };
}

parentPort?.on('message', (req: ChunkRequest) => {
  try { parentPort!.postMessage(scanChunk(req)); } catch (err) { parentPort!.postMessage({ id: req.id, matches: [], searched: 0, error: (err as Error).message }); }
});

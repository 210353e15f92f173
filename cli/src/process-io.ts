// The CLI's I/O on the real process (stdout, stderr, stdin, the user's folder), for the process entries.
import type { CliIO } from './command';

export const processIO: CliIO = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  cwd: process.cwd(), // the user's folder, not an asset path
  env: process.env,
};

/** A reader that stops early (`airlock audit export | head -1`, an MCP client that quits) closes the pipe: that is the
 * reader's choice, not an error of ours, so exit quietly instead of dying with an EPIPE stack trace. Other errors surface. */
export function exitQuietlyOnClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

// Process entry for the `airlock` binary.
import { processIO, runCli } from './main';

// A reader that stops early (`airlock audit export | head -1`) closes the pipe: that is the reader's choice, not an
// error of ours, so exit quietly instead of dying with an EPIPE stack trace. Other stream errors still surface.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

void runCli(process.argv.slice(2), processIO).then((code) => { process.exitCode = code; });

// Process entry for the `airlock` binary.
import { runCli } from './main';
import { exitQuietlyOnClosedPipes, processIO } from './process-io';

exitQuietlyOnClosedPipes();
void runCli(process.argv.slice(2), processIO).then((code) => {
  process.exitCode = code;
});

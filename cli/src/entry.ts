// Process entry for the `airlock` binary.
import { processIO, runCli } from './main';

runCli(process.argv.slice(2), processIO).then((code) => { process.exitCode = code; });

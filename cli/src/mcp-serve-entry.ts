// Process entry for dist/mcp-serve.js: `airlock mcp serve` as a program of its own. The VS Code extension ships it (the
// .vsix has no CLI) and offers it to VS Code's agents (extension/src/mcp/offerToAgents.ts); it runs under VS Code's
// Electron as Node (ELECTRON_RUN_AS_NODE=1) or any Node 20, and needs only dist/ and the package's policies/templates.
import { formatError } from '../../protocol/src/errors';
import { withHint } from './hints';
import { runServe, SERVE_USAGE } from './mcp/serve-command';
import { exitQuietlyOnClosedPipes, processIO } from './process-io';

exitQuietlyOnClosedPipes();
const args = process.argv.slice(2);
const verbose = args.includes('--verbose') || process.env.AIRLOCK_VERBOSE === '1';
runServe(
  args.filter((a) => a !== '--verbose'),
  processIO,
)
  .catch((err: unknown) => {
    processIO.err(formatError(withHint(err, SERVE_USAGE), { verbose }));
    return 2;
  })
  .then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 2;
    },
  );

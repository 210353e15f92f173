// `airlock` CLI entry: dispatches to one command file, prints errors as code / message / hint.
import { AirlockError, formatError } from '../../protocol/src/errors';
import type { CliIO } from './command';
import { commands } from './commands';
import { withHint } from './hints';

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  // --verbose anywhere (or AIRLOCK_VERBOSE=1) adds an error's details to the code / message / hint lines.
  const verbose = argv.includes('--verbose') || io.env.AIRLOCK_VERBOSE === '1';
  const [name, ...rest] = argv.filter((a) => a !== '--verbose');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out('usage: airlock <command> [options] [--verbose]\n');
    for (const c of commands) io.out(`  ${c.name.padEnd(10)} ${c.summary}`);
    return name ? 0 : 2;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.err(
      formatError(
        new AirlockError(
          'CLI_UNKNOWN_COMMAND',
          `unknown command ${JSON.stringify(name)}`,
          `one of: ${commands.map((c) => c.name).join(', ')}`,
        ),
      ),
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: ${cmd.usage}`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    // Every error leaves with a hint line: its own, the command's usage for usage errors, or one by code.
    io.err(formatError(withHint(err, cmd.usage), { verbose }));
    return 2;
  }
}

export { processIO } from './process-io';

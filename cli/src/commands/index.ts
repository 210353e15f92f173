// CLI command registry: one file per command.
import type { Command } from '../command';
import { doctor } from './doctor';
import { exec } from './exec';
import { policy } from './policy';
import { review } from './review';
import { tasks } from './tasks';
import { mode } from './mode';
import { audit } from './audit';
import { sandbox } from './sandbox';
import { run } from './run';
import { chat } from './chat';
import { images } from './images';
import { config } from './config';
import { auth } from './auth';
import { sessions } from './sessions';
import { mcp } from './mcp';
import { plugins } from './plugins';
import { completionCommand } from './completion';
import { gc } from './gc';
import { state } from './state';
import { evalCommand } from './eval';

export const commands: Command[] = [
  doctor,
  exec,
  policy,
  review,
  tasks,
  mode,
  audit,
  sandbox,
  run,
  chat,
  images,
  config,
  sessions,
  auth,
  mcp,
  plugins,
  gc,
  state,
  evalCommand,
];
commands.push(completionCommand(() => commands));

// CLI command registry: one file per command.
import type { Command } from '../command';
import { doctor } from './doctor';
import { exec } from './exec';
import { policy } from './policy';
import { review } from './review';

export const commands: Command[] = [doctor, exec, policy, review];

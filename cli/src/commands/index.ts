// CLI command registry: one file per command.
import type { Command } from '../command';
import { doctor } from './doctor';
import { exec } from './exec';

export const commands: Command[] = [doctor, exec];

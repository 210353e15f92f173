// CLI command registry: one file per command.
import type { Command } from '../command';

export const commands: Command[] = [];

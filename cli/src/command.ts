// The shape of one CLI command; each lives in its own file under commands/.
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  /** Whole stdin, for commands that accept `-` as a file. */
  readStdin(): Promise<string>;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Resolves to the process exit code. Throwing an AirlockError prints code/message/hint and exits 2. */
  run(args: string[], io: CliIO): Promise<number>;
}

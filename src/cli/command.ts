/** The shape every `dlkit` subcommand has; src/cli.ts lists them. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export interface CliCommand {
  /** One line for `dlkit --help`. */
  summary: string;
  /** Full usage text for `dlkit <command> --help`. */
  usage: string;
  /** Returns the process exit code. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** A mistake in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

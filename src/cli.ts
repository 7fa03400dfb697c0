/**
 * `dlkit`: the extension's engine from a terminal. Each subcommand is one
 * entry in COMMANDS; later features add theirs.
 */
import { infoCommand } from './cli/info';
import { scaffoldCommand } from './cli/scaffold';
import { scalarsCommand } from './cli/scalars';
import { summaryCommand } from './cli/summary';
import { UsageError, type CliCommand, type CliIO } from './cli/command';

const COMMANDS: Record<string, CliCommand> = {
  info: infoCommand,
  scaffold: scaffoldCommand,
  scalars: scalarsCommand,
  summary: summaryCommand,
};

declare const DLKIT_VERSION: string;

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'Usage: dlkit <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `dlkit <command> --help` for its options.',
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(DLKIT_VERSION);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`dlkit: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes.
    const isUsage = error instanceof UsageError || String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
    io.err(isUsage ? `dlkit ${name}: ${message}\n\n${command.usage}` : `dlkit ${name}: ${message}`);
    return isUsage ? 2 : 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(text + '\n'),
    err: (text) => process.stderr.write(text + '\n'),
  }).then((code) => {
    process.exitCode = code;
  });
}

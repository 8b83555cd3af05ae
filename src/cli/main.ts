import { Command, CommanderError, Option } from 'commander';
import { jobCatalog } from '../jobs/catalog.js';
import type { JobCatalog } from '../jobs/job-types.js';
import { processIo, type CliIo } from './cli-io.js';
import { validateCommand } from './commands/validate-command.js';
import { nextCommand } from './commands/next-command.js';
import { jobsCommand } from './commands/jobs-command.js';
import { runCommand } from './commands/run-command.js';
import { startCommand } from './commands/start-command.js';
import { statusCommand } from './commands/status-command.js';
import { historyCommand } from './commands/history-command.js';
import { logsCommand } from './commands/logs-command.js';
import { checkCommand } from './commands/check-command.js';
import { renderConfigReference } from '../config/config-reference.js';
import { renderErrorTable } from '../errors/error-table.js';

/**
 * The `sisrelay` command line (commander: subcommands, help and option parsing without
 * hand-written argv handling). Every command returns an exit code; nothing here calls
 * process.exit, so the whole CLI can be driven in-process by tests.
 */
export async function main(argv: string[], catalog: JobCatalog = jobCatalog(), io: CliIo = processIo(catalog)): Promise<number> {
  let code = 0;
  const configOption = () => new Option('-c, --config <file>', 'config file (default: $SISRELAY_CONFIG, then /etc/sisrelay/sisrelay.json)');
  const program = new Command('sisrelay')
    .description('Scheduled, isolated delivery of SIS data to vendors.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError();

  program
    .command('start')
    .description('run the daemon in the foreground (SIGHUP reloads the config, SIGTERM stops)')
    .addOption(configOption())
    .option('--watch', 'also reload when the config file changes')
    .action(async (o) => {
      code = await startCommand(io, o);
    });

  program
    .command('run <job>')
    .description('run one job now in the foreground, isolated and recorded like a scheduled run; exit 0 only on success')
    .addOption(configOption())
    .option('--dry-run', 'produce the files but deliver nothing')
    .option('--force', 'override the extract/drop guards for this run')
    .option('--no-retries', 'do not retry after a transient failure')
    .option('--notify', 'send the failure/success alerts configured for the job')
    .option('--allow-overlap', 'run even if the daemon is running this job right now')
    .action(async (job, o) => {
      code = await runCommand(io, job, o);
    });

  program
    .command('validate [config]')
    .description('check a config file; exit 0 when valid, otherwise print one line per problem')
    .addOption(configOption())
    .option('--skip-secrets', 'do not require the secrets to be set (check the file on another machine)')
    .action((file, o) => {
      code = validateCommand(io, file ?? o.config, o);
    });

  program
    .command('jobs')
    .description('list jobs with schedule, zone and next run (local and UTC)')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action((o) => {
      code = jobsCommand(io, o);
    });

  program
    .command('next <job> [count]')
    .description('print upcoming runs: the local instant with its UTC offset, then UTC')
    .addOption(configOption())
    .option('-n, --count <n>', 'how many (default 5)')
    .option('--from <iso>', 'start from this instant instead of now')
    .action((job, count, o) => {
      code = nextCommand(io, job, { ...o, positionalCount: count });
    });

  program
    .command('status')
    .description('daemon state and, per job, the last run, last success and next run')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      code = await statusCommand(io, o);
    });

  program
    .command('history <job>')
    .description("a job's runs, newest first")
    .addOption(configOption())
    .option('--json', 'full records as JSON')
    .option('--limit <n>', 'how many (default 20)')
    .action(async (job, o) => {
      code = await historyCommand(io, job, o);
    });

  program
    .command('logs <job>')
    .description("print the job's latest run log (-f follows, across runs)")
    .addOption(configOption())
    .option('-f, --follow', 'keep printing as the log grows and as new runs start')
    .option('--run <id>', 'a specific run instead of the latest')
    .action(async (job, o) => {
      code = await logsCommand(io, job, o);
    });

  program
    .command('check <job>')
    .description('test every connection the job uses (login, host key, token) without running it')
    .addOption(configOption())
    .action(async (job, o) => {
      code = await checkCommand(io, job, o);
    });

  program
    .command('config-reference')
    .description('print the config reference (markdown) generated from the schemas')
    .option('--errors', 'print the error-code table instead')
    .action((o) => {
      io.out(o.errors ? renderErrorTable() : renderConfigReference(catalog));
    });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return code;
}

import { Command, InvalidArgumentError, Option } from 'commander';
import { EIDER_VERSION } from '../version.js';

/** Each command: its name, options, and a lazy import of the code that runs it. Returns the exit code. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('eider')
    .description('SQL transformations for DuckDB: compile Handlebars SQL models into a DAG and build them into a DuckDB file')
    .version(EIDER_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const common = (cmd: Command) =>
    cmd
      .option('--project-dir <dir>', 'the project folder (default: the nearest folder with project.yml)')
      .option('--profiles-dir <dir>', 'where profiles.yml is (default: <project>/profiles)')
      .option('-t, --target <name>', 'the target in the profile (default: the profile\'s target, usually dev)')
      .option('--vars <yaml>', 'override project vars, e.g. \'{start_date: 2024-06-01}\'')
      .option('--debug', 'print stack traces of unexpected errors')
      .exitOverride();
  const selecting = (cmd: Command) =>
    common(cmd)
      .option('-s, --select <spec...>', 'nodes to include: name, +name, name+, 2+name, @name, tag:x, path:models/x, source:x, test_type:generic …')
      .option('-m, --models <spec...>', 'the same as --select (dbt\'s older spelling)')
      .option('--exclude <spec...>', 'nodes to leave out (same grammar as --select)')
      .option('--state <dir>', 'the target/ folder of an earlier run (e.g. a copy of production\'s): what --defer reads');
  const deferring = (cmd: Command) =>
    cmd
      .option('--defer', 'refs to models this run neither selects nor finds in its target read them from --defer-target, attached read-only')
      .option('--defer-target <name>', 'the target --defer reads (default: the target named in --state\'s manifest.json)');
  const threads = (cmd: Command) => cmd.option('--threads <n>', 'connections to run on in parallel (overrides the target)', positiveInt);
  // Options arrive from commander untyped; each command declares the shape it reads.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Runner = (options: any) => Promise<number>;
  const run = (load: () => Promise<Runner>) => async (options: object) => setExit(await (await load())(withModels(options)));

  for (const [name, mode, what] of [
    ['seed', 'seed', 'load seeds/*.csv into the target'],
    ['run', 'run', 'build the selected models in DAG order'],
    ['test', 'test', 'run the data tests of the selected nodes'],
    ['build', 'build', 'seeds, models and their tests in DAG order; a failure skips what is downstream'],
    ['snapshot', 'snapshot', 'update the selected snapshots (SCD type 2 history)'],
  ] as const) {
    const cmd = threads(selecting(program.command(name).description(what)));
    if (mode !== 'seed') deferring(cmd);
    if (mode === 'build') cmd.option('--fail-on-stale-sources', 'check source freshness first; build nothing if a source is stale at error level');
    if (mode === 'build' || mode === 'run') {
      cmd.option('--full-refresh', 'rebuild incremental models from scratch');
      cmd.option('--event-time-start <time>', 'microbatch models: re-process batches from this time (e.g. 2024-01-01)');
      cmd.option('--event-time-end <time>', 'microbatch models: … up to this time (exclusive; default: now)');
    }
    cmd.action(
      run(async () => {
        const { buildCommand } = await import('../commands/build.js');
        return (o: object) => buildCommand(mode, o);
      }),
    );
  }
  deferring(selecting(program.command('compile').description('render every node to target/compiled and check its SQL with DuckDB\'s parser'))).action(
    run(async () => (await import('../commands/compile.js')).compileCommand),
  );
  common(program.command('parse').description('read the project and write target/manifest.json')).action(run(async () => (await import('../commands/compile.js')).parseCommand));
  selecting(program.command('ls').description('list the selected nodes'))
    .addOption(new Option('-o, --output <format>', 'name, path or json').choices(['name', 'path', 'json']).default('name'))
    .addOption(new Option('--resource-type <kind>', 'only nodes of this kind').choices(['model', 'seed', 'source', 'test']))
    .action(run(async () => (await import('../commands/ls.js')).lsCommand));
  selecting(program.command('freshness').description('how fresh the selected sources are; exit 1 when one is stale at error level')).action(
    run(async () => (await import('../commands/freshness.js')).freshnessCommand),
  );
  common(program.command('rollback').description('put back the previous release of a swap-published target (or --release ID)'))
    .option('--release <id>', 'the kept release to restore (default: the newest before the current one)')
    .action(run(async () => (await import('../commands/rollback.js')).rollbackCommand));
  common(program.command('clone').description('copy one target\'s data into another, masking columns with meta.pii (hash, redact, null)'))
    .requiredOption('--from <target>', 'the target to copy (opened read-only)')
    .requiredOption('--to <target>', 'the target to replace with the masked copy')
    .action(run(async () => (await import('../commands/clone.js')).cloneCommand));
  common(program.command('compact').description('rewrite the target\'s DuckDB file without the space freed by earlier builds')).action(
    run(async () => (await import('../commands/compact.js')).compactCommand),
  );
  common(program.command('debug').description('check the project, the profile, the target file and DuckDB')).action(run(async () => (await import('../commands/debug.js')).debugCommand));
  return program;
}

/** `-m/--models` is an alias of `--select`: both given, their terms are one union. */
function withModels(options: { select?: string[]; models?: string[] }): object {
  if (!options.models) return options;
  const { models, ...rest } = options;
  return { ...rest, select: [...(rest.select ?? []), ...models] };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

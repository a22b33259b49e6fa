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
      .option('--no-cache', 'compile every file again, without reading or writing the parse cache (target/.partial-parse) or the compile snapshot (target/.compile-state)')
      .exitOverride();
  const selecting = (cmd: Command) =>
    common(cmd)
      .option('-s, --select <spec...>', 'nodes to include: name, +name, name+, 2+name, @name, tag:x, path:models/x, source:x, test_type:generic, state:modified (with --state) …')
      .option('-m, --models <spec...>', 'the same as --select (dbt\'s older spelling)')
      .option('--exclude <spec...>', 'nodes to leave out (same grammar as --select)')
      .option('--state <dir>', 'an earlier run\'s target/ folder (e.g. production\'s): state:modified and state:new compare with its manifest.json; result: reads its run_results.json (default: this project\'s target/)');
  const reporting = (cmd: Command) => cmd.addOption(new Option('--log-format <format>', 'text for people, or json: one JSON object per line per event').choices(['text', 'json']).default('text'));
  const deferring = (cmd: Command) =>
    cmd
      .option('--defer', 'refs to models this run neither selects nor finds in its target read them from --defer-target, attached read-only')
      .option('--defer-target <name>', 'the target --defer reads (default: the target named in --state\'s manifest.json)');
  const alerting = (cmd: Command) => cmd.option('--no-alerts', 'send no alerts for this run (project.yml alerts:), e.g. in CI');
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
    const cmd = reporting(threads(selecting(program.command(name).description(what)))).option('--junit <file>', 'also write the run as a JUnit XML report to this file');
    if (mode !== 'seed') deferring(cmd);
    alerting(cmd);
    if (mode === 'build') cmd.option('--fail-on-stale-sources', 'check source freshness first; build nothing if a source is stale at error level');
    if (mode === 'build') cmd.option('--catalog', 'then write target/catalog.json from the target (as eider catalog does)');
    if (mode === 'build' || mode === 'run') {
      cmd.option('--full-refresh', 'rebuild incremental models from scratch');
      cmd.option('--event-time-start <time>', 'microbatch models: re-process batches from this time (e.g. 2024-01-01)');
      cmd.option('--event-time-end <time>', 'microbatch models: … up to this time (exclusive; default: now)');
      cmd.option('--empty', 'read zero rows from every ref and source: checks SQL, types and contracts against the real schemas in seconds');
    }
    cmd.action(
      run(async () => {
        const { buildCommand } = await import('../commands/build.js');
        return (o: object) => buildCommand(mode, o);
      }),
    );
  }
  alerting(reporting(threads(common(program.command('retry').description('run again what errored, failed or was skipped in the last run, with its command and target')))
    .option('--state <dir>', 'the folder with the last run_results.json (default: this project\'s target/)'))
    .option('--junit <file>', 'also write the run as a JUnit XML report to this file'))
    .action(run(async () => (await import('../commands/retry.js')).retryCommand));
  deferring(selecting(program.command('compile').description('render every node to target/compiled and check its SQL with DuckDB\'s parser')))
    .option('--empty', 'render every ref and source as zero rows, as build --empty runs them')
    .action(run(async () => (await import('../commands/compile.js')).compileCommand));
  common(program.command('parse').description('read the project and write target/manifest.json')).action(run(async () => (await import('../commands/compile.js')).parseCommand));
  selecting(program.command('ls').description('list the selected nodes'))
    .addOption(new Option('-o, --output <format>', 'name, path or json').choices(['name', 'path', 'json']).default('name'))
    .addOption(new Option('--resource-type <kind>', 'only nodes of this kind').choices(['model', 'seed', 'source', 'test']))
    .action(run(async () => (await import('../commands/ls.js')).lsCommand));
  alerting(reporting(selecting(program.command('freshness').description('how fresh the selected sources are; exit 1 when one is stale at error level')))).action(
    run(async () => (await import('../commands/freshness.js')).freshnessCommand),
  );
  common(program.command('rollback').description('put back the previous release of a swap-published target (or --release ID)'))
    .option('--release <id>', 'the kept release to restore (default: the newest before the current one)')
    .action(run(async () => (await import('../commands/rollback.js')).rollbackCommand));
  common(program.command('clone').description('copy one target\'s data into another, masking columns with meta.pii (hash, redact, null)'))
    .requiredOption('--from <target>', 'the target to copy (opened read-only)')
    .requiredOption('--to <target>', 'the target to replace with the masked copy')
    .action(run(async () => (await import('../commands/clone.js')).cloneCommand));
  common(program.command('erase').description('erase a data subject: delete (or null) every row carrying --key in the tables marked meta.subject_key, in the target and its kept releases'))
    .requiredOption('--key <key=value>', 'the subject key and its value, e.g. customer_id=42')
    .option('--dry-run', 'count the rows each marked relation would lose, changing nothing')
    .action(run(async () => (await import('../commands/erase.js')).eraseCommand));
  common(program.command('catalog').description('write target/catalog.json: every relation of the target with its columns, types, comments, row counts and size')).action(
    run(async () => (await import('../commands/catalog.js')).catalogCommand),
  );
  const docs = program.command('docs').description('the documentation site: generate it into target/docs, or serve it').exitOverride();
  selecting(docs.command('generate').description('write target/docs: a static site of every model, seed, source, snapshot and test, with columns, types, tests, SQL, lineage and build history'))
    .action(run(async () => (await import('../commands/docs.js')).docsGenerateCommand));
  docs
    .command('serve')
    .description('serve target/docs over HTTP (on 127.0.0.1 unless --host says otherwise) until Ctrl-C')
    .option('--project-dir <dir>', 'the project folder (default: the nearest folder with project.yml)')
    .option('--port <n>', 'the port (default 8080; 0: any free one)', port)
    .option('--host <address>', 'the address to listen on (default 127.0.0.1)')
    .exitOverride()
    .action(run(async () => (await import('../commands/docs.js')).docsServeCommand));
  common(program.command('compact').description('rewrite the target\'s DuckDB file without the space freed by earlier builds')).action(
    run(async () => (await import('../commands/compact.js')).compactCommand),
  );
  // init: no project yet, so none of the common options.
  program
    .command('init')
    .description('scaffold a new project that builds and tests green at once (into an empty folder, or with --force)')
    .argument('[dir]', 'the folder to write the project into (made if need be)', '.')
    .option('--name <name>', 'the project\'s name and profile key (default: from the folder\'s name)')
    .option('--force', 'write into a folder that has files in it (overwrites only files of the same names)')
    .exitOverride()
    .action(async (dir: string, options: object) => setExit(await (await import('../commands/init.js')).initCommand(dir, options)));
  // show: one node's (or an inline query's) first rows, from the target opened read-only.
  common(program.command('show').description('run a model\'s compiled SQL (or --inline "select …") against the target, read-only, and print its first rows'))
    .option('-s, --select <name>', 'the model, seed or source to show (one)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--inline <sql>', 'a query to show instead; templates work as in a model: {{ref "stg_orders"}}')
    .option('--limit <n>', 'how many rows (default 10)', nonNegativeInt)
    .addOption(new Option('-o, --output <format>', 'table, json (an array of objects) or csv').choices(['table', 'json', 'csv']).default('table'))
    .option('--state <dir>', 'with --defer: the target/ folder of a production run')
    .option('--defer', 'refs to models the target does not hold read them from --defer-target, attached read-only')
    .option('--defer-target <name>', 'the target --defer reads (default: the target named in --state\'s manifest.json)')
    .action(run(async () => (await import('../commands/show.js')).showCommand));
  // export: models, a selection or an inline query to files, from the target opened read-only.
  selecting(program.command('export').description('write a model, a selection (one file each) or --inline "select …" to CSV, JSON, Parquet or Arrow IPC'))
    .requiredOption('--out <path>', 'the file to write (a folder for a selection of several nodes, or with --partition-by; /dev/stdout for a pipe)')
    .option('--format <format>', 'csv, json (one object a line), json-array, parquet or arrow (IPC file); default: from --out\'s extension')
    .option('--inline <sql>', 'a query to export instead; templates work as in a model: {{ref "stg_orders"}}')
    .option('--where <condition>', 'only the rows where this SQL condition holds, e.g. "status = \'paid\'"')
    .option('--partition-by <columns>', 'Parquet only: Hive folders by these columns (comma-separated), e.g. year,month')
    .action(run(async () => (await import('../commands/export.js')).exportCommand));
  // watch: build what each save changed, and what is downstream of it, until Ctrl-C.
  threads(common(program.command('watch').description('build the selection, then on every save build what changed and everything downstream of it, with their tests')))
    .option('-s, --select <spec...>', 'only nodes in this selection are built (same grammar as build)')
    .option('--exclude <spec...>', 'nodes never to build (same grammar as --select)')
    .option('--allow-prod', 'watch a target that publishes by swap (production) too')
    .option('--poll', 'poll files for changes instead of the OS\'s file events (network or container file systems)')
    .action(run(async () => (await import('../commands/watch.js')).watchCommand));
  // schedule: project.yml's schedules, one long-running process; each run is an `eider build` child process.
  reporting(common(program.command('schedule').description('run project.yml\'s schedules until SIGTERM/SIGINT: one build at a time per target, with retries, timeouts and a missed-run policy')))
    .option('--list', 'print each schedule with its next three runs, and exit')
    .option('--once <name>', 'run this schedule now (as the scheduler would), and exit with how it ended')
    .option('--metrics-port <port>', 'serve Prometheus metrics on 127.0.0.1:<port>/metrics (off by default)', port)
    .action(run(async () => (await import('../commands/schedule.js')).scheduleCommand));
  // status: the target's health (size, relations, model runs, tests, schedules, open alerts), read-only.
  common(program.command('status').description('the target\'s health: file size and growth, relations with rows and bytes, model run times, % on schedule, test failure rate, open alerts'))
    .addOption(new Option('--format <format>', 'text for people, or json').choices(['text', 'json']).default('text'))
    .option('--days <n>', 'the window for growth and the test failure rate (default 7)', positiveInt)
    .action(run(async () => (await import('../commands/status.js')).statusCommand));
  common(program.command('debug').description('check the project, the profile, the target file and DuckDB')).action(run(async () => (await import('../commands/debug.js')).debugCommand));
  return program;
}

/** `-m/--models` is an alias of `--select`: both given, their terms are one union. */
function withModels(options: { select?: string[]; models?: string[] }): object {
  if (!options.models) return options;
  const { models, ...rest } = options;
  return { ...rest, select: [...(rest.select ?? []), ...models] };
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
}

function port(value: string): number {
  const n = nonNegativeInt(value);
  if (n > 65535) throw new InvalidArgumentError('must be a port number, 0 to 65535');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}


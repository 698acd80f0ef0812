/**
 * The client commands of `muster`: `import`, `migrate-from` and `jobs`. They
 * talk to a running service over its native API like any other client, with
 * an API key of the tenant, and never open the store (main.ts hands them their
 * arguments before it loads any configuration of its own).
 *
 * The key: --key-file PATH, --key (which the process list shows to every
 * user of the machine, so the help steers away from it), else MUSTER_KEY.
 * It goes into the Authorization header only, never into output.
 */
import { readOperatorKeyFile } from '../crypto/operatorKey.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { serviceClient, ServiceError, ServiceUnreachableError, type ServiceClient } from './http.ts';
import { runImport } from './import.ts';
import { EXIT } from './importJob.ts';
import { parseImportArgs, UsageError, type ConnectionArgs, type ImportCommand } from './importOptions.ts';
import { jsonView, plainView, ttyView, type ProgressView } from './importProgress.ts';
import { JOBS_USAGE, runJobs } from './jobs.ts';
import { checkExport, checkReport } from './migrateCheck.ts';
import { MIGRATE_USAGE, providerOf } from './migrateFrom.ts';

export const CLIENT_COMMANDS: ReadonlySet<string> = new Set(['import', 'migrate-from', 'jobs']);

/** Plain progress lines on a non-terminal: at most one per stage this often. */
const PLAIN_INTERVAL_MS = 5000;

export const IMPORT_USAGE = `Usage:
  muster import FILE --directory <name> [options]      upload FILE as an import job and follow it
  muster import --attach JOB [FILE]                    follow a job again (after a detach or a lost terminal)
Import options:
  --format csv|ndjson|json|auth0|firebase|keycloak|cognito|entra   (default: from FILE's extension)
  --map "SOURCE=field"        a source column -> a user field, e.g. --map "E-mail=email" (repeat it)
  --mode partial|atomic       partial (default): each row on its own; atomic: all rows or none
  --on-conflict fail|skip|upsert   an existing username or email (default fail)
  --dry-run                   validate every row, write nothing
  --invite [--redirect-url URL] [--message TEXT]   mail an invitation to each created user
  --delimiter , | ; | tab     the CSV delimiter (default: detected)
  --external-id COLUMN        the column holding each user's id at the old provider
  --option NAME=VALUE         a format's own option (see muster migrate-from --help)
  --report PATH               save the full per-row report (CSV if PATH ends in .csv, else NDJSON)
Connection:
  --url <url>                 the service (default MUSTER_URL, else http://127.0.0.1:$PORT)
  --key-file <path>           a file holding the API key (scope users:write); default MUSTER_KEY.
                              --key <key> works too, but shows the key in the process list.
Output: a progress bar on a terminal, plain lines every ${PLAIN_INTERVAL_MS / 1000} s otherwise, --json for one JSON event
  per line; at the end a summary, and the failed rows in FILE.rejected.csv (users.csv -> users.rejected.csv:
  the input's columns plus "error"; fix them and import that file). Running the same command again
  attaches to the same job (the Idempotency-Key is a digest of the file and the options): nothing is
  imported twice. Ctrl-C asks whether to cancel the job or detach from it (detach without a terminal).
Exit codes:
  0 every row succeeded     1 the job failed or was cancelled, or the service refused
  2 some rows failed        3 detached (the job goes on)    64 usage    69 service unreachable
  130 interrupted before the job existed
Example:
  MUSTER_URL=https://muster.example.com MUSTER_KEY=... \\
    muster import staff.csv --directory staff --map "E-mail=email" --on-conflict skip --report staff.report.csv`;

/** The service client: --url or MUSTER_URL (else this host on PORT); the key from --key-file, --key or MUSTER_KEY. */
function connect(args: ConnectionArgs, env = process.env): ServiceClient {
  let baseUrl: string;
  if (args.url !== undefined) {
    if (!/^https?:\/\/[^/]+/.test(args.url)) throw new UsageError('--url must be an http:// or https:// URL');
    baseUrl = args.url.replace(/\/+$/, '');
  } else {
    baseUrl = loadConfig(env).serviceUrl;
  }
  let key: string | undefined;
  if (args.keyFile !== undefined) {
    key = readOperatorKeyFile(args.keyFile);
    if (key === undefined) throw new UsageError(`--key-file ${args.keyFile}: no such file, or it is empty`);
  } else {
    key = args.key ?? (env.MUSTER_KEY || undefined);
  }
  if (!key) throw new UsageError('give an API key of the tenant: MUSTER_KEY=<key>, or --key-file <path>');
  return serviceClient(baseUrl, key, 'set MUSTER_URL or --url to its address');
}

function viewFor(json: boolean): ProgressView {
  if (json) return jsonView((line) => process.stdout.write(line + '\n'));
  if (process.stderr.isTTY) return ttyView(process.stderr);
  return plainView((line) => process.stderr.write(line + '\n'), PLAIN_INTERVAL_MS);
}

async function dispatch(argv: readonly string[], usage: { command: string }): Promise<number> {
  const [command, ...rest] = argv;
  const print = (text: string) => process.stdout.write(text + '\n');
  if (command === 'jobs') {
    usage.command = 'jobs';
    if (rest.includes('--help') || rest.includes('-h')) return (print(JOBS_USAGE), EXIT.ok);
    return runJobs(rest, (args) => connect(args), print);
  }
  let parsed: ImportCommand;
  if (command === 'migrate-from') {
    usage.command = 'migrate-from';
    if (rest.length === 0 || rest.includes('--help') || rest.includes('-h')) return (print(MIGRATE_USAGE), rest.length === 0 ? EXIT.usage : EXIT.ok);
    const provider = providerOf(rest[0]);
    if (rest.includes('--check')) {
      // Local only: no service, so no directory or key is needed.
      const args = rest.slice(1).filter((arg) => arg !== '--check');
      const checked = parseImportArgs(args.includes('--directory') || args.includes('-d') ? args : [...args, '--directory', 'check'], provider, process.env);
      if (checked.kind !== 'upload') return (print(MIGRATE_USAGE), EXIT.ok);
      const { text, exit } = checkReport(checked.upload.file, await checkExport(checked.upload));
      print(text);
      return exit;
    }
    parsed = parseImportArgs(rest.slice(1), provider, process.env);
  } else {
    parsed = parseImportArgs(rest);
  }
  if (parsed.kind === 'help') return (print(IMPORT_USAGE), EXIT.ok);
  const client = connect(parsed.connection);
  return runImport(parsed, {
    client,
    view: viewFor(parsed.json),
    print,
    warn: (text) => process.stderr.write(text + '\n'),
    json: parsed.json,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  });
}

/** Runs a client command; every failure is one line on stderr and its exit code (importJob.ts EXIT). */
export async function runClientCommand(argv: readonly string[]): Promise<number> {
  const usage = { command: 'import' };
  try {
    return await dispatch(argv, usage);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`muster: ${(error as Error).message} (see muster ${usage.command} --help)\n`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`muster: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ServiceUnreachableError) {
      process.stderr.write(`muster: ${error.message}\n`);
      return EXIT.unreachable;
    }
    if (error instanceof ServiceError) {
      process.stderr.write(`muster: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
}

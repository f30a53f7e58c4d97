/**
 * `ws-manager-bridge clusters list|register|update|deregister`: the original's `gpctl clusters`
 * verbs over the ClusterService. Connection flags (--addr, --token, --tls-*) go before the verb,
 * because `register` and `update … tls` use --tls-ca/--tls-key for the ws-manager's material.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ClusterApiClient, type ClusterApiClientOptions } from '../cluster-api/cluster-api-client.js';
import { clustersJson, clustersTable } from '../cluster-api/cluster-status-format.js';
import { parseDuration } from '../config/duration.js';
import { errorMessage } from '../lifecycle/abort.js';
import {
  Preferability,
  RegisterRequest,
  UpdateRequest,
  type AdmissionConstraint,
  type TlsConfig,
} from '../generated/workspacemanagerbridge/cluster-service.js';
import { callFailed } from './call-errors.js';
import { CliError, EXIT } from './exit-codes.js';

type Run = (work: () => Promise<number>) => void;
type Flags = Record<string, unknown>;

/** Default address of the ClusterService, as `serve` listens by default. */
export const DEFAULT_CLUSTER_SERVICE_ADDR = '127.0.0.1:8080';

const UPDATE_PROPERTIES = [
  'score',
  'max-score',
  'cordon',
  'uncordon',
  'add-permission',
  'remove-permission',
  'add-feature-preview',
  'remove-feature-preview',
  'tls',
] as const;

function str(flags: Flags, key: string): string | undefined {
  const value = flags[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CliError(`cannot read ${flag} ${path} (${code})`, EXIT.usage);
  }
}

function wholeNumber(value: string | undefined, what: string): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || n > 2 ** 31 - 1) {
    throw new CliError(`${what} needs a whole number from 0 to 2147483647`, EXIT.usage);
  }
  return n;
}

/** The ClusterService connection from the flags given before the verb. */
function connection(flags: Flags): ClusterApiClientOptions {
  const address = str(flags, 'addr') ?? DEFAULT_CLUSTER_SERVICE_ADDR;
  const [ca, cert, key] = (['tlsCa', 'tlsCert', 'tlsKey'] as const).map((k) => str(flags, k));
  if (Boolean(cert) !== Boolean(key)) throw new CliError('--tls-cert and --tls-key go together', EXIT.usage);
  if (cert && !ca) {
    throw new CliError('--tls-cert needs --tls-ca (the CA of the service certificate)', EXIT.usage);
  }
  let deadlineMs: number;
  try {
    deadlineMs = parseDuration(str(flags, 'timeout') ?? '30s', 's');
  } catch (error: unknown) {
    throw new CliError(`--timeout: ${errorMessage(error)}`, EXIT.usage);
  }
  return {
    address,
    token: str(flags, 'token'),
    deadlineMs,
    tls: ca
      ? {
          ca: readFlagFile('--tls-ca', ca),
          cert: cert ? readFlagFile('--tls-cert', cert) : undefined,
          key: key ? readFlagFile('--tls-key', key) : undefined,
          serverName: str(flags, 'tlsServerName'),
        }
      : undefined,
  };
}

/** The ws-manager TLS material of `register` / `update … tls`, read from files and base64-encoded. */
function wsmanTls(flags: Flags, required: boolean): TlsConfig | undefined {
  const paths = { ca: str(flags, 'tlsCa'), crt: str(flags, 'tlsCert'), key: str(flags, 'tlsKey') };
  const given = Object.values(paths).filter(Boolean).length;
  if (given === 0 && !required) return undefined;
  if (given !== 3) throw new CliError('give --tls-ca, --tls-cert and --tls-key together', EXIT.usage);
  const encode = (flag: string, path: string | undefined): string =>
    readFlagFile(flag, path ?? '').toString('base64');
  return {
    ca: encode('--tls-ca', paths.ca),
    crt: encode('--tls-cert', paths.crt),
    key: encode('--tls-key', paths.key),
  };
}

async function withClient<T>(
  flags: Flags,
  verb: string,
  work: (client: ClusterApiClient) => Promise<T>,
): Promise<T> {
  const options = connection(flags);
  const client = new ClusterApiClient(options);
  try {
    return await work(client);
  } catch (error: unknown) {
    throw error instanceof CliError
      ? error
      : callFailed(verb, { address: options.address, tls: options.tls !== undefined }, error);
  } finally {
    client.close();
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function constraintsOf(flags: Flags): AdmissionConstraint[] {
  const permissions = Array.isArray(flags.permission) ? (flags.permission as string[]) : [];
  const constraints: AdmissionConstraint[] = permissions.map((permission) => ({
    hasPermission: { permission },
  }));
  if (flags.featurePreview === true) constraints.push({ hasFeaturePreview: {} });
  return constraints;
}

async function registerCommand(connectionFlags: Flags, flags: Flags): Promise<number> {
  const perfereability =
    flags.prefer === true
      ? Preferability.Prefer
      : flags.dontSchedule === true
        ? Preferability.DontSchedule
        : Preferability.None;
  const request = RegisterRequest.fromPartial({
    name: str(flags, 'name') ?? '',
    url: str(flags, 'url') ?? '',
    region: str(flags, 'region') ?? '',
    tls: wsmanTls(flags, false),
    hints: { perfereability, cordoned: flags.cordoned === true },
    admissionConstraints: constraintsOf(flags),
  });
  await withClient(connectionFlags, 'register', (client) => client.register(request));
  say(`registered cluster "${request.name}"`);
  return EXIT.ok;
}

function updateRequest(
  name: string,
  property: string,
  value: string | undefined,
  flags: Flags,
): UpdateRequest {
  const constraint = (add: boolean, c: AdmissionConstraint): UpdateRequest =>
    UpdateRequest.fromPartial({ name, admissionConstraint: { add, constraint: c } });
  const permission = (): AdmissionConstraint => {
    if (!value) throw new CliError(`update ${property} needs a permission name`, EXIT.usage);
    return { hasPermission: { permission: value } };
  };
  switch (property) {
    case 'score':
      return UpdateRequest.fromPartial({ name, score: wholeNumber(value, 'update score') });
    case 'max-score':
      return UpdateRequest.fromPartial({ name, maxScore: wholeNumber(value, 'update max-score') });
    case 'cordon':
    case 'uncordon':
      return UpdateRequest.fromPartial({ name, cordoned: property === 'cordon' });
    case 'add-permission':
    case 'remove-permission':
      return constraint(property === 'add-permission', permission());
    case 'add-feature-preview':
    case 'remove-feature-preview':
      return constraint(property === 'add-feature-preview', { hasFeaturePreview: {} });
    case 'tls':
      return UpdateRequest.fromPartial({ name, tls: wsmanTls(flags, true) });
    default:
      throw new CliError(
        `unknown property "${property}"; use one of ${UPDATE_PROPERTIES.join(', ')}`,
        EXIT.usage,
      );
  }
}

async function updateCommand(
  connectionFlags: Flags,
  name: string,
  property: string,
  value: string | undefined,
  flags: Flags,
): Promise<number> {
  const request = updateRequest(name, property, value, flags);
  await withClient(connectionFlags, 'update', (client) => client.update(request));
  say(`updated cluster "${name}" (${property}${value === undefined ? '' : ` ${value}`})`);
  return EXIT.ok;
}

async function deregisterCommand(connectionFlags: Flags, name: string, flags: Flags): Promise<number> {
  await withClient(connectionFlags, 'deregister', (client) => client.deregister(name, flags.force === true));
  say(`deregistered cluster "${name}"`);
  return EXIT.ok;
}

async function listCommand(connectionFlags: Flags, flags: Flags): Promise<number> {
  const statuses = await withClient(connectionFlags, 'list', (client) => client.list());
  say(flags.json === true ? clustersJson(statuses) : clustersTable(statuses));
  return EXIT.ok;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function wsmanTlsOptions(cmd: Command, purpose: string): Command {
  return cmd
    .option('--tls-ca <path>', `CA certificate (PEM) ${purpose}`)
    .option('--tls-cert <path>', `client certificate (PEM) ${purpose}`)
    .option('--tls-key <path>', `client key (PEM) ${purpose}`);
}

/** Adds `clusters` and its verbs to the program; `run` receives each verb's exit code. */
export function registerClustersCommands(program: Command, run: Run): void {
  const clusters = program
    .command('clusters')
    .description('list, register, update and deregister workspace clusters through the ClusterService')
    .enablePositionalOptions()
    .addOption(
      new Option(
        '--addr <host:port>',
        `ClusterService address (default ${DEFAULT_CLUSTER_SERVICE_ADDR})`,
      ).env('CLUSTER_SERVICE_ADDR'),
    )
    .addOption(
      new Option('--token <token>', 'bearer token of the ClusterService').env('CLUSTER_SERVICE_TOKEN'),
    )
    .option('--tls-ca <path>', 'CA of the ClusterService certificate; enables TLS (plain text without it)')
    .option('--tls-cert <path>', 'client certificate for mTLS to the ClusterService')
    .option('--tls-key <path>', 'key of --tls-cert')
    .option(
      '--tls-server-name <name>',
      'name the ClusterService certificate is valid for, if not the --addr host',
    )
    .option('--timeout <duration>', 'deadline of the call, e.g. 30s', '30s');
  const parentFlags = (): Flags => clusters.opts();

  clusters
    .command('list')
    .description('list stored and static clusters (TLS is never shown)')
    .option('--json', 'print JSON instead of a table')
    .action((flags: Flags) => run(() => listCommand(parentFlags(), flags)));

  wsmanTlsOptions(clusters.command('register'), 'for the ws-manager (sent base64-encoded)')
    .description('register a ws-manager cluster; the bridge checks it is reachable first')
    .requiredOption('--name <name>', 'cluster name')
    .requiredOption('--url <url>', 'gRPC target of the ws-manager, e.g. dns:///ws-manager:8080')
    .option('--region <region>', 'europe, north-america, south-america, africa, asia or empty', '')
    .addOption(new Option('--prefer', 'schedule here preferably (score 100)').conflicts('dontSchedule'))
    .addOption(new Option('--dont-schedule', 'do not schedule new workspaces here (score 0)'))
    .option('--cordoned', 'register cordoned')
    .option(
      '--permission <permission>',
      'admission constraint: users need this permission (repeatable)',
      collect,
    )
    .option('--feature-preview', 'admission constraint: feature preview')
    .action((flags: Flags) => run(() => registerCommand(parentFlags(), flags)));

  wsmanTlsOptions(clusters.command('update'), 'for `tls`')
    .description(`change one property: ${UPDATE_PROPERTIES.join(' | ')}`)
    .argument('<name>', 'cluster name')
    .argument('<property>', UPDATE_PROPERTIES.join(', '))
    .argument('[value]', 'number for score/max-score, permission for add-/remove-permission')
    .action((name: string, property: string, value: string | undefined, flags: Flags) =>
      run(() => updateCommand(parentFlags(), name, property, value, flags)),
    );

  clusters
    .command('deregister')
    .description('remove a cluster; refused while regular workspaces run on it unless --force')
    .argument('<name>', 'cluster name')
    .option('--force', 'mark remaining instances stopped and remove the cluster anyway')
    .action((name: string, flags: Flags) => run(() => deregisterCommand(parentFlags(), name, flags)));
}

/** StartWorkspace requests for generated load: realistic ids, owners, annotations and ports. */
import { randomUUID } from 'node:crypto';
import type { StartWorkspaceRequest } from '../../generated/wsman/core.js';
import { AdmissionLevel, PortProtocol, PortVisibility, WorkspaceType } from '../../generated/wsman/core.js';
import { HEADLESS_TASK_FAILED_ANNOTATION } from './workspace-lifecycle.js';

const ADJECTIVES = ['amber', 'brisk', 'coral', 'dusty', 'eager', 'fuzzy', 'gentle', 'hazel'];
const NOUNS = ['otter', 'falcon', 'walrus', 'lynx', 'heron', 'badger', 'ibex', 'marten'];
const REPOS = [
  'gitpod-sim/sample-api',
  'gitpod-sim/web-frontend',
  'gitpod-sim/data-pipeline',
  'gitpod-sim/docs',
];

/** The message of the prebuild tasks the load makes fail. */
export const SYNTHETIC_TASK_FAILURE = "task 'npm test' exited with code 1";

/** Owners, organisations and projects the generated workspaces belong to, drawn once per load run. */
export interface SyntheticTenants {
  readonly owners: readonly string[];
  readonly teams: readonly string[];
  /** One project id per synthetic repository, so every prebuild of a repository names the same project. */
  readonly projects: readonly string[];
}

/** Draws `owners` user ids, a quarter as many organisation ids and one project id per repository. */
export function createTenants(owners: number): SyntheticTenants {
  const users = Array.from({ length: Math.max(1, owners) }, () => randomUUID());
  const teams = Array.from({ length: Math.max(1, Math.ceil(owners / 4)) }, () => randomUUID());
  const projects = REPOS.map(() => randomUUID());
  return { owners: users, teams, projects };
}

/** What the n-th generated workspace is. */
export type SyntheticKind = 'regular' | 'prebuild' | 'failing-prebuild';

/**
 * The kind of the n-th (from 0) generated workspace: with `prebuildEvery` N > 0 the 1st, the N+1th,
 * the 2N+1th … are prebuilds (n a multiple of N), and every third of those, counting from the third,
 * has a failing task; with 0 all are regular.
 */
export function syntheticKind(n: number, prebuildEvery: number): SyntheticKind {
  if (prebuildEvery <= 0 || n % prebuildEvery !== 0) return 'regular';
  return (n / prebuildEvery) % 3 === 2 ? 'failing-prebuild' : 'prebuild';
}

function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length] as T;
}

/**
 * A start request for the n-th (from 0) generated workspace; `n` varies owner, repository, name and,
 * through `syntheticKind(n, prebuildEvery)`, the type deterministically. A prebuild names the project
 * of its repository and, when its task is to fail, carries `sim/headless-task-failed`.
 */
export function syntheticRequest(
  n: number,
  tenants: SyntheticTenants,
  prebuildEvery = 0,
): StartWorkspaceRequest {
  const id = randomUUID();
  const metaId = `${pick(ADJECTIVES, n)}-${pick(NOUNS, n >> 3)}-${id.slice(0, 8)}`;
  const kind = syntheticKind(n, prebuildEvery);
  const repoIndex = (n >> 2) % REPOS.length;
  const repo = REPOS[repoIndex] as string;
  const failure: Record<string, string> =
    kind === 'failing-prebuild' ? { [HEADLESS_TASK_FAILED_ANNOTATION]: SYNTHETIC_TASK_FAILURE } : {};
  return {
    id,
    servicePrefix: id,
    type: kind === 'regular' ? WorkspaceType.REGULAR : WorkspaceType.PREBUILD,
    metadata: {
      owner: pick(tenants.owners, n),
      metaId,
      startedAt: undefined,
      annotations: {
        'gitpod/contextUrl': `https://github.com/${repo}/tree/main`,
        'gitpod/id': metaId,
        'gitpod.io/requiredNodeServices': 'ws-daemon,registry-facade',
        ...failure,
      },
      team: pick(tenants.teams, n),
      project: kind === 'regular' ? undefined : pick(tenants.projects, repoIndex),
      metrics: undefined,
    },
    spec: {
      workspaceImage: '',
      featureFlags: [],
      initializer: undefined,
      ports: [
        {
          port: 3000,
          visibility: PortVisibility.PORT_VISIBILITY_PUBLIC,
          url: '',
          protocol: PortProtocol.PORT_PROTOCOL_HTTP,
        },
        {
          port: 8080,
          visibility: PortVisibility.PORT_VISIBILITY_PRIVATE,
          url: '',
          protocol: PortProtocol.PORT_PROTOCOL_HTTPS,
        },
      ],
      envvars: [],
      workspaceLocation: repo.split('/')[1] ?? repo,
      git: { username: 'sim-user', email: 'sim-user@example.test' },
      timeout: '30m0s',
      admission: AdmissionLevel.ADMIT_OWNER_ONLY,
      ideImage: undefined,
      class: '',
      sshPublicKeys: [],
      sysEnvvars: [],
      ideImageLayers: [],
      closedTimeout: '',
      maximumLifetime: '36h0m0s',
    },
  };
}

/** StartWorkspace requests for generated load: realistic ids, owners, annotations and ports. */
import { randomUUID } from 'node:crypto';
import type { StartWorkspaceRequest } from '../../generated/wsman/core.js';
import { AdmissionLevel, PortProtocol, PortVisibility, WorkspaceType } from '../../generated/wsman/core.js';

const ADJECTIVES = ['amber', 'brisk', 'coral', 'dusty', 'eager', 'fuzzy', 'gentle', 'hazel'];
const NOUNS = ['otter', 'falcon', 'walrus', 'lynx', 'heron', 'badger', 'ibex', 'marten'];
const REPOS = [
  'gitpod-sim/sample-api',
  'gitpod-sim/web-frontend',
  'gitpod-sim/data-pipeline',
  'gitpod-sim/docs',
];

/** Owners and organisations the generated workspaces belong to, drawn once per load run. */
export interface SyntheticTenants {
  readonly owners: readonly string[];
  readonly teams: readonly string[];
}

/** Draws `owners` user ids and a quarter as many organisation ids. */
export function createTenants(owners: number): SyntheticTenants {
  const users = Array.from({ length: Math.max(1, owners) }, () => randomUUID());
  const teams = Array.from({ length: Math.max(1, Math.ceil(owners / 4)) }, () => randomUUID());
  return { owners: users, teams };
}

function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length] as T;
}

/** A regular workspace start request; `n` varies owner, repository and name deterministically. */
export function syntheticRequest(n: number, tenants: SyntheticTenants): StartWorkspaceRequest {
  const id = randomUUID();
  const metaId = `${pick(ADJECTIVES, n)}-${pick(NOUNS, n >> 3)}-${id.slice(0, 8)}`;
  const repo = pick(REPOS, n >> 2);
  return {
    id,
    servicePrefix: id,
    type: WorkspaceType.REGULAR,
    metadata: {
      owner: pick(tenants.owners, n),
      metaId,
      startedAt: undefined,
      annotations: {
        'gitpod/contextUrl': `https://github.com/${repo}/tree/main`,
        'gitpod/id': metaId,
        'gitpod.io/requiredNodeServices': 'ws-daemon,registry-facade',
      },
      team: pick(tenants.teams, n),
      project: undefined,
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

/** Register: validate, refuse duplicates, probe the ws-manager, store the row. */
import { classesFromDescribe } from '../wsman/describe-cluster.js';
import type {
  RegisterRequest,
  RegisterResponse,
} from '../generated/workspacemanagerbridge/cluster-service.js';
import { redactUrl } from '../observability/redact.js';
import { ClusterExistsError } from '../store/ports.js';
import type { ClusterRow } from '../store/types.js';
import { AlreadyExistsError } from './errors.js';
import { throwIfAborted, type HandlerContext } from './handler-context.js';
import { DEFAULT_MAX_SCORE, validateRegisterRequest, type ValidRegistration } from './validation.js';

function nameTaken(name: string): AlreadyExistsError {
  return new AlreadyExistsError(
    `a cluster named "${name}" already exists; pick another name or deregister it first`,
  );
}

async function assertUnique(ctx: HandlerContext, candidate: ValidRegistration): Promise<void> {
  const [byName, all] = await Promise.all([
    ctx.deps.store.getCluster(candidate.name),
    ctx.deps.store.listClusters(),
  ]);
  if (byName) throw nameTaken(candidate.name);
  if (ctx.staticCluster(candidate.name)) {
    throw new AlreadyExistsError(
      `"${candidate.name}" is a static cluster from the bridge configuration; pick another name`,
    );
  }
  const sameUrl =
    all.find((c) => c.url === candidate.url) ??
    ctx.deps.staticClusters().find((c) => c.url === candidate.url);
  if (sameUrl) {
    throw new AlreadyExistsError(`cluster "${sameUrl.name}" already uses url "${redactUrl(candidate.url)}"`);
  }
}

/** Handles Register as Gitpod's bridge does, but with input checks first and no race with a concurrent insert. */
export async function registerCluster(
  ctx: HandlerContext,
  request: RegisterRequest,
  signal: AbortSignal,
): Promise<RegisterResponse> {
  const candidate = validateRegisterRequest(request, ctx.allowPlaintextClusters);
  const dropped = request.admissionConstraints.length - candidate.admissionConstraints.length;
  if (dropped > 0) {
    ctx.logger.info(
      { cluster: candidate.name, dropped },
      'admission constraints without a usable constraint dropped',
    );
  }
  await assertUnique(ctx, candidate);
  const described = await ctx.describe({ url: candidate.url, tls: candidate.tls }, signal);
  throwIfAborted(signal);
  const now = ctx.now().toISOString();
  const row: ClusterRow = {
    ...candidate,
    maxScore: DEFAULT_MAX_SCORE,
    govern: true,
    ...classesFromDescribe(described),
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.deps.store.insertCluster(row);
  } catch (error: unknown) {
    // Another replica (or a direct insert) won the race between our check and our insert; the
    // database's unique name and url decide.
    if (error instanceof ClusterExistsError && error.field === 'name') throw nameTaken(row.name);
    if (error instanceof ClusterExistsError) {
      throw new AlreadyExistsError(`a cluster already uses url "${redactUrl(row.url)}"`);
    }
    throw error;
  }
  ctx.logger.info(
    {
      cluster: row.name,
      url: redactUrl(row.url),
      state: row.state,
      score: row.score,
      transport: row.tls ? 'mtls' : 'plaintext',
    },
    'cluster registered',
  );
  await ctx.clusterChanged(row.name);
  return {};
}

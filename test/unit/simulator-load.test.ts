/** The simulated ws-manager's load options and the requests the load generates, without a server. */
import { describe, expect, it } from 'vitest';
import { WorkspaceType } from '../../src/generated/wsman/core.js';
import { validateLoadOptions, type LoadOptions } from '../../src/wsman/simulator/load-driver.js';
import { SimulatorError, SimulatorErrorCode } from '../../src/wsman/simulator/simulator-error.js';
import {
  SYNTHETIC_TASK_FAILURE,
  createTenants,
  syntheticKind,
  syntheticRequest,
  type SyntheticKind,
} from '../../src/wsman/simulator/synthetic-request.js';
import { validateStartRequest } from '../../src/wsman/simulator/validate-start-request.js';
import { HEADLESS_TASK_FAILED_ANNOTATION } from '../../src/wsman/simulator/workspace-lifecycle.js';

describe('validateLoadOptions', () => {
  it.each<[string, LoadOptions]>([
    ['one workspace', { workspaces: 1 }],
    ['no prebuilds', { workspaces: 1, prebuildEvery: 0 }],
    ['only prebuilds', { workspaces: 1, prebuildEvery: 1 }],
    ['every seventh a prebuild', { workspaces: 10, prebuildEvery: 7 }],
    ['more than the live workspaces', { workspaces: 2, prebuildEvery: 1000 }],
    ['every figure set', { workspaces: 3, updatesPerSecond: 5, totalUpdates: 10, durationMs: 100 }],
  ])('accepts %s', (_name, options) => {
    expect(() => validateLoadOptions(options)).not.toThrow();
  });

  const prebuildEvery = 'prebuildEvery must be a whole number >= 0';
  it.each<[string, LoadOptions, string]>([
    ['no workspaces', { workspaces: 0 }, 'workspaces must be a whole number >= 1'],
    ['half a workspace', { workspaces: 1.5 }, 'workspaces must be a whole number >= 1'],
    ['a negative rate', { workspaces: 1, updatesPerSecond: -1 }, 'updatesPerSecond must be >= 0'],
    ['a negative total', { workspaces: 1, totalUpdates: -1 }, 'totalUpdates must be >= 0'],
    ['a negative duration', { workspaces: 1, durationMs: -1 }, 'durationMs must be >= 0'],
    ['a negative prebuildEvery', { workspaces: 1, prebuildEvery: -1 }, prebuildEvery],
    ['a fractional prebuildEvery', { workspaces: 1, prebuildEvery: 2.5 }, prebuildEvery],
    ['prebuildEvery NaN', { workspaces: 1, prebuildEvery: NaN }, prebuildEvery],
    ['prebuildEvery Infinity', { workspaces: 1, prebuildEvery: Infinity }, prebuildEvery],
  ])('refuses %s with invalid-argument', (_name, options, message) => {
    let thrown: unknown;
    try {
      validateLoadOptions(options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SimulatorError);
    expect(thrown).toMatchObject({ code: SimulatorErrorCode.invalidArgument, message });
  });
});

describe('syntheticKind', () => {
  const R = 'regular';
  const P = 'prebuild';
  const F = 'failing-prebuild';
  // The kinds of the first twelve workspaces (n = 0 … 11) for each prebuildEvery.
  const table: [prebuildEvery: number, kinds: SyntheticKind[]][] = [
    [0, [R, R, R, R, R, R, R, R, R, R, R, R]],
    [1, [P, P, F, P, P, F, P, P, F, P, P, F]],
    [2, [P, R, P, R, F, R, P, R, P, R, F, R]],
    [3, [P, R, R, P, R, R, F, R, R, P, R, R]],
    [5, [P, R, R, R, R, P, R, R, R, R, F, R]],
    [20, [P, R, R, R, R, R, R, R, R, R, R, R]],
  ];

  it.each(table)('prebuildEvery %i: %j', (prebuildEvery, kinds) => {
    expect(kinds.map((_kind, n) => syntheticKind(n, prebuildEvery))).toEqual(kinds);
  });
});

describe('syntheticRequest', () => {
  const tenants = createTenants(8);
  const requests = Array.from({ length: 48 }, (_unused, n) => syntheticRequest(n, tenants, 2));

  it('draws one project per repository', () => {
    expect(tenants.projects).toHaveLength(4);
    expect(new Set(tenants.projects).size).toBe(4);
  });

  it('gives valid requests whose type and annotation follow syntheticKind', () => {
    requests.forEach((request, n) => {
      expect(() => validateStartRequest(request)).not.toThrow();
      const kind = syntheticKind(n, 2);
      expect(request.type).toBe(kind === 'regular' ? WorkspaceType.REGULAR : WorkspaceType.PREBUILD);
      expect(request.metadata?.annotations[HEADLESS_TASK_FAILED_ANNOTATION]).toBe(
        kind === 'failing-prebuild' ? SYNTHETIC_TASK_FAILURE : undefined,
      );
    });
  });

  it('names the project of its repository on a prebuild, and none on a regular workspace', () => {
    const projectOf = new Map<string, string>();
    for (const request of requests) {
      const project = request.metadata?.project;
      if (request.type === WorkspaceType.REGULAR) {
        expect(project).toBeUndefined();
        continue;
      }
      const repo = request.metadata?.annotations['gitpod/contextUrl'] ?? '';
      expect(tenants.projects).toContain(project);
      if (projectOf.has(repo)) expect(project).toBe(projectOf.get(repo));
      projectOf.set(repo, project ?? '');
    }
    // Every repository comes up among the prebuilds, each with its own project.
    expect(new Set(projectOf.values()).size).toBe(4);
  });

  it('is deterministic in n apart from the fresh instance id', () => {
    const stable = (n: number) => {
      const { id: _id, servicePrefix: _prefix, metadata, ...rest } = syntheticRequest(n, tenants, 2);
      const { metaId, annotations, ...meta } = metadata!;
      const { 'gitpod/id': _gitpodId, ...fixed } = annotations;
      return { rest, meta, fixed, name: metaId.split('-').slice(0, 2) };
    };
    for (const n of [0, 1, 4, 9, 10]) expect(stable(n)).toEqual(stable(n));
    expect(syntheticRequest(3, tenants, 2).id).not.toBe(syntheticRequest(3, tenants, 2).id);
  });

  it('makes only regular workspaces without prebuildEvery', () => {
    const types = Array.from({ length: 12 }, (_unused, n) => syntheticRequest(n, tenants).type);
    expect(new Set(types)).toEqual(new Set([WorkspaceType.REGULAR]));
  });
});

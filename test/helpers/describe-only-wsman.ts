/**
 * A minimal ws-manager that answers only DescribeCluster, for ClusterService tests that need a
 * reachability target without the full simulator. Other methods answer UNIMPLEMENTED.
 */
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import {
  WorkspaceManagerService,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
} from '../../src/generated/wsman/core.js';
import type { handleUnaryCall } from '@grpc/grpc-js';
import { serverCredentialsOf, type TestPki } from './test-pki.js';

/** What the fake answers. */
export type DescribeBehaviour = 'answer' | 'fail' | 'hang';

export interface DescribeOnlyWsman {
  /** `127.0.0.1:<port>` */
  url: string;
  calls: number;
  behaviour: DescribeBehaviour;
  close(): void;
}

/** The classes the fake reports. */
export const FAKE_CLASSES: DescribeClusterResponse = {
  workspaceClasses: [
    { id: 'g1-standard', displayName: 'Standard', description: '4 cores', creditsPerMinute: 0.5 },
    { id: 'g1-large', displayName: 'Large', description: '8 cores', creditsPerMinute: 1 },
  ],
  preferredWorkspaceClass: 'g1-standard',
};

/** Starts the fake on 127.0.0.1:0; with `pki` it serves TLS and requires a client certificate of that CA. */
export async function startDescribeOnlyWsman(pki?: TestPki): Promise<DescribeOnlyWsman> {
  const server = new Server();
  const fake: DescribeOnlyWsman = {
    url: '',
    calls: 0,
    behaviour: 'answer',
    close: () => server.forceShutdown(),
  };
  const describeCluster: handleUnaryCall<DescribeClusterRequest, DescribeClusterResponse> = (
    _call,
    callback,
  ) => {
    fake.calls += 1;
    if (fake.behaviour === 'answer') callback(null, FAKE_CLASSES);
    else if (fake.behaviour === 'fail')
      callback({ code: status.UNAVAILABLE, details: 'ws-manager is restarting' });
  };
  server.addService(WorkspaceManagerService, { describeCluster });
  const credentials = pki ? serverCredentialsOf(pki) : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, p) => (error ? reject(error) : resolve(p))),
  );
  fake.url = `127.0.0.1:${port}`;
  return fake;
}

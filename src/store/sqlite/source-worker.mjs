// Starts a worker thread from the TypeScript sources (under tsx or vitest, never from dist/): Node 20
// does not pass the parent's module hooks on to a worker, so the worker registers tsx's itself
// before it imports its entry (`workerData.sourceEntry`).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.sourceEntry);

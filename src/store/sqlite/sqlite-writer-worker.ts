/**
 * The writer thread's entry (see `sqlite-writer.ts`): opens its own connection to the file and runs
 * each hot-path call it is sent, answering with the result or the error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { callHotPath, SqliteHotPath } from './sqlite-hot-path.js';
import { openSqliteDatabase } from './sqlite-database.js';
import type { WriterData, WriterReply, WriterRequest } from './sqlite-writer.js';

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-worker runs as a worker thread only');
const { path, options } = workerData as WriterData;
const db = openSqliteDatabase(path, options);
// Prepared on the first call: the schema exists by then (the main thread migrates first).
let hot: SqliteHotPath | undefined;

port.on('message', (request: WriterRequest) => {
  if (request.type === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    hot ??= new SqliteHotPath(db);
    reply = { id: request.id, value: callHotPath(hot, request.method, request.args) };
  } catch (error: unknown) {
    const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown };
    reply = {
      id: request.id,
      error: {
        name: typeof name === 'string' ? name : 'Error',
        message: typeof message === 'string' ? message : String(error),
        code: typeof code === 'string' ? code : undefined,
      },
    };
  }
  port.postMessage(reply);
});

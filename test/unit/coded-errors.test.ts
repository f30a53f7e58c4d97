/** The bridge's own errors share one base: each keeps its class for `instanceof`, its name, code and message. */
import { describe, expect, it } from 'vitest';
import { ConfigError, flag } from '../../src/config/config-error.js';
import { CodedError } from '../../src/lifecycle/coded-error.js';
import { DuplicateWriteError, InvalidDatabaseUrlError, StoreClosedError } from '../../src/store/errors.js';
import { ClusterExistsError, StoreInUseError } from '../../src/store/ports.js';
import { ProtoDecodeError } from '../../src/wsman/proto-reader.js';

describe('coded errors', () => {
  it.each([
    [
      new DuplicateWriteError('i-1'),
      DuplicateWriteError,
      'DUPLICATE_WRITE',
      'instance "i-1" appears twice in one batch; coalesce writes per instance before writeBatch',
    ],
    [new StoreClosedError(), StoreClosedError, 'STORE_CLOSED', 'the store is closed'],
    [
      new InvalidDatabaseUrlError('"sqlite:" needs a file path'),
      InvalidDatabaseUrlError,
      'INVALID_DATABASE_URL',
      '"sqlite:" needs a file path',
    ],
    [
      new ClusterExistsError('url', 'ws:8080'),
      ClusterExistsError,
      'CLUSTER_EXISTS',
      'a workspace cluster with url "ws:8080" already exists',
    ],
    [
      new StoreInUseError('data/bridge.db', 'bridge-a (pid 42)'),
      StoreInUseError,
      'STORE_IN_USE',
      'data/bridge.db is in use by another ws-manager-bridge (bridge-a (pid 42)); SQLite allows one bridge per file, use PostgreSQL for replicas',
    ],
    [
      new ConfigError(flag('--http-addr'), 'not host:port'),
      ConfigError,
      'INVALID_CONFIG',
      '--http-addr: not host:port',
    ],
    [
      new ProtoDecodeError('a group does not end'),
      ProtoDecodeError,
      'PROTO_DECODE',
      'cannot decode ws-manager message: a group does not end',
    ],
  ] as const)('%s', (error, type, code, message) => {
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(type.name);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
  });

  it('keeps the fields callers read', () => {
    expect(new ClusterExistsError('name', 'eu-1').field).toBe('name');
    expect(new StoreInUseError('db', 'bridge-a').holder).toBe('bridge-a');
    expect(new ConfigError(undefined, 'give --cluster or a config file')).toMatchObject({
      source: undefined,
      message: 'give --cluster or a config file',
    });
  });
});

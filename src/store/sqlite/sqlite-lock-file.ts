/**
 * One bridge per SQLite file: `claimSoleWriter` creates `<file>.lock` exclusively and `close()`
 * removes it. SQLite itself would let a second process write between our transactions, and two
 * bridges streaming the same clusters into one file would each publish every change.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { StoreInUseError } from '../ports.js';
import type { StoreCoordination } from '../store-adapter.js';

/** What the lock file holds: who made it, so that a refused bridge can name it. */
interface LockInfo {
  holder: string;
  pid: number;
  host: string;
  since: string;
}

/** The coordination of a SQLite store: a lock file, no leases. */
export class SqliteLockFile implements StoreCoordination {
  readonly leases = undefined;
  readonly #dbPath: string;
  readonly #lockPath: string | undefined;
  /** The text this process wrote into the lock file while it holds it. */
  #mine: string | undefined;

  /** `dbPath` as given to the store; ':memory:' has no file and needs no lock. */
  constructor(dbPath: string) {
    this.#dbPath = dbPath;
    this.#lockPath = dbPath === ':memory:' ? undefined : `${resolve(dbPath)}.lock`;
  }

  /**
   * Creates the lock file, replacing one left by a dead process of this host. Throws
   * `StoreInUseError` naming the holder when another live process (or one of another host, whose
   * processes cannot be checked) has it. A second call after a successful one does nothing.
   */
  claimSoleWriter(holder: string): Promise<void> {
    try {
      if (this.#lockPath !== undefined && this.#mine === undefined) this.#claim(this.#lockPath, holder);
      return Promise.resolve();
    } catch (error: unknown) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Removes the lock file if this process made it and it is still ours. Never throws. */
  release(): Promise<void> {
    const mine = this.#mine;
    this.#mine = undefined;
    try {
      if (this.#lockPath !== undefined && mine !== undefined && readText(this.#lockPath) === mine) {
        removeFile(this.#lockPath);
      }
    } catch {
      // Unreadable now: leave it; the next start on this host finds our pid gone and replaces it.
    }
    return Promise.resolve();
  }

  #claim(lockPath: string, holder: string): void {
    const info: LockInfo = { holder, pid: process.pid, host: hostname(), since: new Date().toISOString() };
    const text = JSON.stringify(info);
    // Each round either creates the file or meets one: a live holder ends the claim, a stale one is
    // removed and the next round tries again. Bounded, in case the file keeps coming back.
    for (let round = 0; round < 3; round++) {
      if (createExclusive(lockPath, text)) {
        this.#mine = text;
        return;
      }
      const found = readText(lockPath);
      if (found === undefined) continue; // removed since: try again
      const other = parseLock(found);
      if (other === undefined || !isStale(other)) {
        throw new StoreInUseError(this.#dbPath, describe(other, lockPath));
      }
      // Only the stale file we read goes: if another starting bridge replaced it meanwhile, its file
      // stays. (Between this read and the unlink a replacement could still be lost; both bridges
      // would have to start on the same stale file within microseconds.)
      if (readText(lockPath) === found) removeFile(lockPath);
    }
    throw new StoreInUseError(this.#dbPath, describe(parseLock(readText(lockPath) ?? ''), lockPath));
  }
}

/** Creates the file with `text`, failing (false) when it exists: O_CREAT | O_EXCL. */
function createExclusive(path: string, text: string): boolean {
  try {
    writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (error: unknown) {
    if (codeOf(error) === 'EEXIST') return false;
    throw error;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error: unknown) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already, or not ours to remove: either way there is nothing left to do.
  }
}

// Undefined for a file that is empty or not ours (being written right now, or foreign): it counts as
// held, since there is no process to check.
function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo> | null;
    if (typeof v?.holder !== 'string' || typeof v.pid !== 'number') return undefined;
    if (typeof v.host !== 'string' || typeof v.since !== 'string') return undefined;
    return { holder: v.holder, pid: v.pid, host: v.host, since: v.since };
  } catch {
    return undefined;
  }
}

/** Stale: made on this host by a process that no longer exists. Other hosts' processes cannot be checked. */
function isStale(info: LockInfo): boolean {
  if (info.host !== hostname()) return false;
  try {
    process.kill(info.pid, 0);
    return false;
  } catch (error: unknown) {
    // EPERM: the process exists but belongs to another user.
    return codeOf(error) === 'ESRCH';
  }
}

function describe(info: LockInfo | undefined, lockPath: string): string {
  if (info === undefined) return `unknown (unreadable lock file ${lockPath})`;
  return `${info.holder} (pid ${info.pid} on host ${info.host} since ${info.since})`;
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

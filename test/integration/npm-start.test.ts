/**
 * `npm start` as a user runs it, stopped by a signal to npm's own PID (a process manager, `kill`) or to
 * its whole process group (Ctrl-C in a terminal): the bridge stops in order, npm exits with the
 * bridge's code, and no `node dist/main.js serve` is left behind.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wsb-npm-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface LogLine {
  msg?: string;
  clean?: boolean;
  httpPort?: number;
}

/** The PIDs of a process's children (pgrep -P; none once they are gone). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function commandLine(pid: number): string {
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** The `node dist/main.js serve` process below `pid`, however many shells npm puts in between. */
function bridgeBelow(pid: number): number | undefined {
  for (const child of childrenOf(pid)) {
    if (/^node dist\/main\.js serve /.test(commandLine(child))) return child;
    const deeper = bridgeBelow(child);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it.each([
    ['SIGTERM to npm', 'SIGTERM', false],
    ['SIGINT to npm', 'SIGINT', false],
    ['Ctrl-C: SIGINT to the whole process group', 'SIGINT', true],
  ] as const)(
    'stops the bridge in order on %s',
    async (_label, signal, group) => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: `sqlite:${join(dir, `${signal}-${String(group)}.db`)}`,
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
      };
      delete env.REDIS_URL;
      delete env.WSMAN_BRIDGE_CONFIGPATH;
      const npm = spawn(
        'npm',
        [
          'run',
          'start',
          '--',
          '--http-addr',
          '127.0.0.1:0',
          '--health-addr',
          '127.0.0.1:0',
          '--debug-addr',
          '127.0.0.1:0',
          '--cluster-service-addr',
          '127.0.0.1:0',
        ],
        // Its own process group, as a shell gives a foreground job, so that the group can be signalled.
        { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const stderr: string[] = [];
      npm.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
      const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      const lines: LogLine[] = [];
      const running = new Promise<LogLine>((resolve, reject) => {
        void exited.then(() => reject(new Error(`npm start ended early: ${stderr.join('')}`)));
        createInterface({ input: npm.stdout }).on('line', (text) => {
          if (!text.startsWith('{')) return; // npm's own "> ws-manager-bridge@… start" header
          const line = JSON.parse(text) as LogLine;
          lines.push(line);
          if (line.msg === 'ws-manager-bridge is running') resolve(line);
        });
      });
      const pid = npm.pid as number;
      // Whatever the outcome, nothing this test started outlives it.
      onTestFinished(() => {
        for (const leftover of [bridgeBelow(pid), -pid]) {
          if (leftover !== undefined && alive(Math.abs(leftover))) process.kill(leftover, 'SIGKILL');
        }
      });
      const { httpPort } = await running;
      const bridge = bridgeBelow(pid);
      expect(bridge).toBeDefined();
      expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);

      process.kill(group ? -pid : pid, signal);

      expect(await exited).toBe(0);
      expect(alive(bridge as number)).toBe(false);
      await expect(fetch(`http://127.0.0.1:${httpPort}/healthz`)).rejects.toThrow();
      const shutdown = lines.filter((l) => l.msg === 'shutting down (send the signal again to force)');
      expect(shutdown).toHaveLength(1);
      expect(lines.find((l) => l.msg === 'ws-manager-bridge stopped')).toMatchObject({ clean: true });
      expect(lines.some((l) => l.msg === 'forced exit before shutdown finished')).toBe(false);
    },
    90_000,
  );
});

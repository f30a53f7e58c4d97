/**
 * The committed stubs in src/generated must be exactly what `npm run gen` makes from proto/, so
 * nobody edits them by hand and no proto change ships without its stubs.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

describe('generated protobuf stubs', () => {
  it('match what buf and ts-proto generate from proto/', () => {
    const out = tempDir('wsb-gen-');
    execFileSync(process.execPath, ['node_modules/@bufbuild/buf/bin/buf', 'generate', '--output', out], {
      stdio: 'pipe',
    });
    const fresh = join(out, 'src/generated');
    const committed = 'src/generated';
    const names = (root: string) =>
      files(root)
        .map((f) => relative(root, f))
        .sort();
    expect(names(committed)).toEqual(names(fresh));
    for (const name of names(fresh)) {
      expect(readFileSync(join(committed, name), 'utf8'), name).toBe(readFileSync(join(fresh, name), 'utf8'));
    }
  });
});

// The `tagflow` launcher's build: cli/main.ts bundled once, reused while no bundled source
// changed, rebuilt when one did; and which commands get their embedded dev server early.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCli, embeddedServerFor, freshBuild } from '../../infra/cli-build.mjs';

const dir = mkdtempSync(join(tmpdir(), 'tagflow-cli-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cli build', () => {
  it('is reused while its sources are unchanged and stale once one changes', async () => {
    const outDir = join(dir, 'build');
    expect(freshBuild(outDir)).toBeUndefined();
    const built = await buildCli(outDir);
    expect(existsSync(join(built, 'main.js'))).toBe(true);
    expect(existsSync(join(built, 'dev-server.js'))).toBe(true);
    expect(freshBuild(outDir)).toBe(built);

    const manifestFile = join(outDir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    expect(Object.keys(manifest.inputs)).toContain('cli/main.ts');
    expect(Object.keys(manifest.inputs)).toContain('workers/embedded.ts');
    // As if cli/run.ts had been edited since the build.
    manifest.inputs['cli/run.ts'] = '0:0';
    writeFileSync(manifestFile, JSON.stringify(manifest));
    expect(freshBuild(outDir)).toBeUndefined();

    // Built again; the same sources make the same bundle, kept in the same (content-named)
    // folder, so a process still loading parts of it lazily never loses them.
    const rebuilt = await buildCli(outDir);
    expect(rebuilt).toBe(built);
    expect(freshBuild(outDir)).toBe(rebuilt);
    // Each bundled file keeps its own import.meta.url: the demo config resolves as in the source.
    expect(readFileSync(join(rebuilt, 'main.js'), 'utf8')).toContain('/cli/main.ts"');
  });

  it('starts the embedded dev server early only for run and demo without a server or cluster', () => {
    const cwd = mkdtempSync(join(dir, 'project-'));
    const env = {};
    expect(embeddedServerFor(['run', '--config', 'x.yaml'], cwd, env)).toEqual({
      dataDir: join(cwd, '.tagflow', 'temporal'),
      ui: true,
    });
    expect(embeddedServerFor(['run', '-c', 'x.yaml', '--no-ui'], cwd, env)?.ui).toBe(false);
    expect(embeddedServerFor(['demo'], cwd, env)?.ui).toBe(true);
    expect(embeddedServerFor(['status', 'x'], cwd, env)).toBeUndefined();
    expect(embeddedServerFor(['run', '--help'], cwd, env)).toBeUndefined();
    expect(embeddedServerFor(['run', '-c', 'x', '--detach'], cwd, env)).toBeUndefined();
    expect(embeddedServerFor(['run', '-c', 'x'], cwd, { TEMPORAL_ADDRESS: 'h:1' })).toBeUndefined();
    // A live background server (this process stands in for it) takes the run.
    mkdirSync(join(cwd, '.tagflow'));
    writeFileSync(join(cwd, '.tagflow', 'server.json'), JSON.stringify({ pid: process.pid }));
    expect(embeddedServerFor(['run', '-c', 'x'], cwd, env)).toBeUndefined();
  });
});

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildProgram } from '../../cli/main.js';
import type { WorkerCommandOptions } from '../../workers/worker.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const INFRA = join(ROOT, 'infra');
const COMPOSE_DIR = join(INFRA, 'compose');
const K8S_DIR = join(INFRA, 'k8s');
const PACKAGE_VERSION: string = JSON.parse(
  readFileSync(join(ROOT, 'package.json'), 'utf8'),
).version;

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is checked field by field below
type Doc = any;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/**
 * All documents of a YAML file; any error or warning (duplicate keys included) fails. Merge
 * keys (`<<: *anchor`) are YAML 1.1; Docker Compose resolves them, so compose files may use them.
 */
function parseYamlFile(file: string, options: { merge?: boolean } = {}): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), {
    strict: true,
    uniqueKeys: true,
    merge: options.merge ?? false,
  });
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  for (const doc of docs) {
    const problems = [...doc.errors, ...doc.warnings].map((e) => e.message);
    if (problems.length) throw new Error(`${relative(ROOT, file)}: ${problems.join('; ')}`);
  }
  return docs.map((d) => d.toJS()).filter((d) => d !== null && d !== undefined);
}

// ---------------------------------------------------------------------------------------------
// What the code accepts and reads.

/** Parses `tagflow <argv>` with the real program; returns the worker's options or throws. */
function parseWorkerArgs(argv: string[]): WorkerCommandOptions {
  const program = buildProgram(() => {});
  const silent = { writeOut() {}, writeErr() {} };
  program.exitOverride().configureOutput(silent);
  const worker = program.commands.find((c) => c.name() === 'worker');
  if (!worker) throw new Error('tagflow has no worker command');
  let parsed: WorkerCommandOptions | undefined;
  worker
    .exitOverride()
    .configureOutput(silent)
    .action((options: WorkerCommandOptions) => {
      parsed = options;
    });
  program.parse(argv, { from: 'user' });
  if (!parsed) throw new Error(`"tagflow ${argv.join(' ')}" is not a worker command`);
  return parsed;
}

/** Environment variable names the tagflow sources read (`env.X`, `process.env.X`). */
function envNamesReadByCode(): Set<string> {
  const names = new Set<string>();
  for (const folder of ['activities', 'cli', 'core', 'models', 'workers', 'workflows']) {
    for (const file of walk(join(ROOT, folder)).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g))
        names.add(m[1]);
    }
  }
  return names;
}
const CODE_ENV = envNamesReadByCode();
// Read by Node itself and by libraries, not by tagflow's sources.
const RUNTIME_ENV = new Set(['NODE_ENV']);

/** The TEMPORAL_* names workers/connection.ts reads: the connection contract. */
const CONNECTION_ENV = new Set(
  [
    ...readFileSync(join(ROOT, 'workers/connection.ts'), 'utf8').matchAll(/env\.(TEMPORAL_\w+)/g),
  ].map((m) => m[1]),
);

// ---------------------------------------------------------------------------------------------
// Images and Dockerfiles.

/** `${VAR:-default}` → default; other interpolations are left as they are. */
function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
}

/** Throws unless the image names a version tag (not latest, not a bare name). */
function expectPinned(image: string, where: string): { name: string; tag: string } {
  const resolved = withDefaults(image);
  const match = /^([a-z0-9./_-]+):([A-Za-z0-9._-]+)$/.exec(resolved);
  if (!match) throw new Error(`${where}: image "${image}" has no tag`);
  const [, name, tag] = match;
  if (tag === 'latest' || !/\d+\.\d+/.test(tag))
    throw new Error(`${where}: image "${image}" is not pinned to a version (tag "${tag}")`);
  return { name, tag };
}

interface Dockerfile {
  file: string;
  from: string[];
  entrypoint: string[];
  cmd: string[];
  copySources: string[];
}

function readDockerfile(file: string): Dockerfile {
  // Join continuation lines, drop comments.
  const text = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const out: Dockerfile = { file, from: [], entrypoint: [], cmd: [], copySources: [] };
  for (const line of text.split('\n').map((l) => l.trim())) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    switch (instruction?.toUpperCase()) {
      case 'FROM':
        out.from.push(rest[0]);
        break;
      case 'ENTRYPOINT':
      case 'CMD': {
        // The exec (JSON) form: no shell between the signal and the worker.
        let list: unknown;
        try {
          list = JSON.parse(args);
        } catch {
          throw new Error(`${relative(ROOT, file)}: ${instruction} must use the JSON exec form`);
        }
        if (instruction.toUpperCase() === 'CMD') out.cmd = list as string[];
        else out.entrypoint = list as string[];
        break;
      }
      case 'COPY':
        if (!rest.some((a) => a.startsWith('--from='))) {
          const paths = rest.filter((a) => !a.startsWith('--'));
          out.copySources.push(...paths.slice(0, -1));
        }
        break;
    }
  }
  return out;
}

const DOCKERFILES = readdirSync(join(INFRA, 'docker'))
  .filter((n) => n.startsWith('Dockerfile'))
  .map((n) => readDockerfile(join(INFRA, 'docker', n)));

const DOCKERIGNORE = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** Whether a repository path is sent to the Docker build (plain prefixes and `**` globs). */
function inBuildContext(path: string): boolean {
  return !DOCKERIGNORE.some((pattern) => {
    const re = new RegExp(
      `^${pattern
        .replace(/[.+^$()|[\]{}]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*/g, '[^/]*')}(?:/.*)?$`,
    );
    return re.test(path);
  });
}

/** The image's WORKDIR is /app and `COPY . .` puts the repository there. */
function repoPathOfImagePath(imagePath: string): string {
  if (!imagePath.startsWith('/app/')) throw new Error(`${imagePath} is not under /app`);
  return imagePath.slice('/app/'.length);
}

function dockerfileFor(dockerfile: string): Dockerfile {
  const found = DOCKERFILES.find((d) => d.file === resolve(ROOT, dockerfile));
  if (!found) throw new Error(`no Dockerfile at ${dockerfile}`);
  return found;
}

/** A container's argv after the image's `node /app/bin/tagflow.js` entrypoint. */
function tagflowArgs(entrypoint: string[], args: string[]): string[] {
  expect(entrypoint.slice(0, 2)).toEqual(['node', '/app/bin/tagflow.js']);
  return [...entrypoint.slice(2), ...args];
}

function seconds(duration: string | number): number {
  if (typeof duration === 'number') return duration;
  const m = /^(\d+)(s|m)$/.exec(duration);
  if (!m) throw new Error(`unexpected duration "${duration}"`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

// ---------------------------------------------------------------------------------------------

describe('infra YAML files', () => {
  const files = walk(INFRA).filter((f) => /\.ya?ml$/.test(f));

  it('finds the compose, Kubernetes and Temporal config files', () => {
    const names = files.map((f) => relative(INFRA, f));
    expect(names).toContain('compose/docker-compose.yml');
    expect(names).toContain('compose/dynamicconfig/tagflow.yaml');
    expect(names.filter((n) => n.startsWith('k8s/')).length).toBeGreaterThanOrEqual(6);
  });

  it('parses every document of every file strictly', () => {
    for (const file of files)
      expect(parseYamlFile(file, { merge: file.includes('/compose/') }).length).toBeGreaterThan(0);
  });

  it('rejects a duplicate key and a tab-indented document (the parser check can fail)', () => {
    const strict = (text: string) =>
      parseAllDocuments(text, { strict: true, uniqueKeys: true }).flatMap((d) => d.errors);
    expect(strict('a: 1\na: 2\n')).not.toHaveLength(0);
    expect(strict('a:\n\tb: 1\n')).not.toHaveLength(0);
    expect(strict('a: 1\n---\nb: 2\n')).toHaveLength(0);
  });
});

describe('the worker command check', () => {
  it('accepts what tagflow worker accepts and refuses the rest', () => {
    const ok = parseWorkerArgs(['worker', '--queues', 'gpu', '--device', 'cuda']);
    expect(ok).toMatchObject({ queues: ['gpu'], device: 'cuda', shutdownGrace: 10 });
    expect(() => parseWorkerArgs(['worker', '--gpu-count', '1'])).toThrow(/unknown option/);
    expect(() => parseWorkerArgs(['worker', '--device', 'rocm'])).toThrow(/invalid/);
    expect(() => parseWorkerArgs(['worker', '--cpu-concurrency', '0'])).toThrow();
    expect(() => parseWorkerArgs(['doctor'])).toThrow(/not a worker command/);
  });

  it('finds the connection settings connection.ts reads', () => {
    expect([...CONNECTION_ENV].sort()).toEqual(
      expect.arrayContaining(['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY']),
    );
    for (const name of CONNECTION_ENV) expect(CODE_ENV.has(name)).toBe(true);
  });
});

describe('Dockerfiles', () => {
  it('has a CPU and a GPU worker image', () => {
    expect(DOCKERFILES.map((d) => relative(ROOT, d.file)).sort()).toEqual([
      'infra/docker/Dockerfile.worker',
      'infra/docker/Dockerfile.worker-gpu',
    ]);
  });

  for (const d of DOCKERFILES) {
    const name = relative(ROOT, d.file);
    it(`${name}: pinned base images`, () => {
      // Earlier stages may serve as bases (FROM node:… AS node, then COPY --from=node).
      const stages = [...readFileSync(d.file, 'utf8').matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map(
        (m) => m[1],
      );
      expect(d.from.length).toBeGreaterThan(0);
      for (const from of d.from) if (!stages.includes(from)) expectPinned(from, name);
    });

    it(`${name}: runs files that exist and are in the build context`, () => {
      const script = d.entrypoint[1];
      const repoPath = repoPathOfImagePath(script);
      expect(existsSync(join(ROOT, repoPath)), `${script} → ${repoPath}`).toBe(true);
      expect(inBuildContext(repoPath), `${repoPath} is excluded by .dockerignore`).toBe(true);
      // What the CLI imports at startup must be in the image too.
      for (const folder of ['cli', 'core', 'workers', 'workflows', 'activities', 'models'])
        expect(inBuildContext(`${folder}/index.ts`), folder).toBe(true);
      for (const source of d.copySources.filter((s) => s !== '.'))
        expect(existsSync(join(ROOT, source)), `COPY ${source}`).toBe(true);
    });

    it(`${name}: the default command is a valid worker command`, () => {
      const options = parseWorkerArgs(tagflowArgs(d.entrypoint, d.cmd));
      if (name.endsWith('-gpu')) expect(options).toMatchObject({ queues: ['gpu'], device: 'cuda' });
      else expect(options.queues).toContain('cpu');
    });
  }

  it('the GPU image installs onnxruntime-node CUDA binaries the way its install script reads', () => {
    const gpu = readFileSync(join(INFRA, 'docker/Dockerfile.worker-gpu'), 'utf8');
    const cpu = readFileSync(join(INFRA, 'docker/Dockerfile.worker'), 'utf8');
    const utils = readFileSync(
      join(ROOT, 'node_modules/onnxruntime-node/script/install-utils.js'),
      'utf8',
    );
    // The script reads ONNXRUNTIME_NODE_INSTALL first: `skip` for every install, then `true`
    // when the GPU stage runs the script itself (npm 11's allowScripts denies it at install).
    expect(utils).toMatch(
      /process\.env\.ONNXRUNTIME_NODE_INSTALL \|\| process\.env\.npm_config_onnxruntime_node_install/,
    );
    expect(gpu).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev/);
    expect(gpu).toMatch(
      /ONNXRUNTIME_NODE_INSTALL=true node node_modules\/onnxruntime-node\/script\/install\.js/,
    );
    expect(cpu).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev/);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
  });

  it('.dockerignore keeps secrets and local state out of the build context', () => {
    for (const path of [
      'infra/compose/tagflow.env',
      'node_modules/x',
      '.tagflow/python',
      '.git/HEAD',
    ])
      expect(inBuildContext(path), path).toBe(false);
    expect(inBuildContext('bin/tagflow.js')).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYamlFile(join(COMPOSE_DIR, 'docker-compose.yml'), { merge: true })[0];
  const services: Record<string, Doc> = compose.services;
  const tagflowServices = Object.entries(services).filter(([, s]) =>
    String(s.image).startsWith('tagflow-'),
  );
  const workers = tagflowServices.filter(([, s]) => s.command?.[0] === 'worker');

  it('has the cluster, the UI and a CPU and a GPU worker', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'worker-cpu', 'worker-gpu']),
    );
    expect(workers.map(([name]) => name).sort()).toEqual(['worker-cpu', 'worker-gpu']);
  });

  it('pins every image; Temporal server and admin-tools match; tagflow images are this version', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image, name).toBeTypeOf('string');
      expectPinned(service.image, `service ${name}`);
    }
    const server = expectPinned(services.temporal.image, 'temporal').tag;
    for (const [, s] of Object.entries(services).filter(([, s]) =>
      s.image.startsWith('temporalio/admin-tools:'),
    ))
      expect(expectPinned(s.image, 'admin-tools').tag.startsWith(`${server}-`)).toBe(true);
    for (const [name, s] of tagflowServices)
      expect(expectPinned(s.image, name).tag, name).toBe(PACKAGE_VERSION);
  });

  it('builds tagflow images from Dockerfiles that exist', () => {
    for (const [name, s] of tagflowServices.filter(([, s]) => s.build)) {
      const context = resolve(COMPOSE_DIR, s.build.context);
      expect(context, name).toBe(ROOT);
      expect(existsSync(join(context, s.build.dockerfile)), name).toBe(true);
    }
  });

  it('runs worker commands tagflow accepts, serving both queues, GPU work on CUDA', () => {
    const served = new Set<string>();
    for (const [name, s] of workers) {
      const dockerfile = dockerfileFor(
        s.build?.dockerfile ??
          tagflowServices.find(([, t]) => t.image === s.image && t.build)![1].build.dockerfile,
      );
      const options = parseWorkerArgs(tagflowArgs(dockerfile.entrypoint, s.command));
      for (const q of options.queues) served.add(q);
      // Docker's SIGKILL must come after the worker's own grace period.
      expect(seconds(s.stop_grace_period), name).toBeGreaterThan(options.shutdownGrace);
      if (options.queues.includes('gpu')) {
        expect(options.device, name).toBe('cuda');
        expect(s.deploy.resources.reservations.devices, name).toContainEqual(
          expect.objectContaining({ driver: 'nvidia', capabilities: ['gpu'] }),
        );
      }
    }
    expect([...served].sort()).toEqual(['cpu', 'gpu']);
  });

  it('mounts one shared store at the same path in every tagflow container', () => {
    const mounts = tagflowServices.map(([, s]) => {
      const mount = (s.volumes as string[]).find((v) => v.startsWith('tagflow-data:'));
      expect(mount).toBeDefined();
      return mount!.split(':')[1];
    });
    expect(new Set(mounts).size).toBe(1);
    expect(compose.volumes).toHaveProperty('tagflow-data');
    for (const [name, s] of tagflowServices)
      expect(s.working_dir.startsWith(mounts[0]), name).toBe(true);
  });

  it('sets only environment variables the code reads; the HF token comes from an env file', () => {
    for (const [name, s] of tagflowServices) {
      const env = s.environment as Record<string, string>;
      expect(env.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
      for (const key of Object.keys(env))
        expect(CODE_ENV.has(key) || RUNTIME_ENV.has(key), `${name}: ${key}`).toBe(true);
      expect(env, name).not.toHaveProperty('HF_TOKEN');
    }
    const cpuEnvFile = services['worker-cpu'].env_file[0].path;
    const example = readFileSync(join(COMPOSE_DIR, `${cpuEnvFile}.example`), 'utf8');
    const keys = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(keys).toContain('HF_TOKEN');
    for (const key of keys) expect(CODE_ENV.has(key), key).toBe(true);
    // Only the cpu-queue worker publishes, so only it reads the token file.
    expect(services['worker-gpu'].env_file).toBeUndefined();
    expect(readFileSync(join(COMPOSE_DIR, '.gitignore'), 'utf8')).toMatch(/^tagflow\.env$/m);
  });

  it('mounts scripts and dynamic config that exist; the server reads its config file', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const volume of (s.volumes ?? []) as string[]) {
        const [source] = volume.split(':');
        if (source.startsWith('.'))
          expect(existsSync(resolve(COMPOSE_DIR, source)), `${name}: ${source}`).toBe(true);
      }
      const script = s.entrypoint?.find((a: string) => a.startsWith('/scripts/'));
      if (script)
        expect(existsSync(join(COMPOSE_DIR, 'scripts', script.slice('/scripts/'.length)))).toBe(
          true,
        );
    }
    const configPath: string = services.temporal.environment.DYNAMIC_CONFIG_FILE_PATH;
    expect(configPath.startsWith('config/dynamicconfig/')).toBe(true);
    expect(existsSync(join(COMPOSE_DIR, 'dynamicconfig', configPath.split('/').pop()!))).toBe(true);
  });
});

describe('Kubernetes manifests', () => {
  const byFile = new Map(
    walk(K8S_DIR)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => [relative(K8S_DIR, f), parseYamlFile(f)] as const),
  );
  const all = [...byFile.values()].flat();
  const kustomization = byFile.get('kustomization.yaml')![0];
  const applied = (kustomization.resources as string[]).flatMap((r) => {
    expect(byFile.has(r), `kustomization resource ${r}`).toBe(true);
    return byFile.get(r)!;
  });
  const of = (kind: string) => all.filter((d) => d.kind === kind);
  const deployments = of('Deployment');

  it('gives every document an apiVersion, a kind and a name', () => {
    for (const doc of all) {
      expect(doc.apiVersion).toMatch(/^[a-z0-9.]*\/?v\d+(beta\d+)?$/);
      expect(doc.kind).toMatch(/^[A-Z][A-Za-z]+$/);
      if (doc.kind !== 'Kustomization') expect(doc.metadata?.name).toBeTypeOf('string');
    }
  });

  it('applies the workers, config and storage but never the example secrets', () => {
    expect(applied.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      expect.arrayContaining([
        'ConfigMap/tagflow-temporal',
        'Deployment/tagflow-worker-cpu',
        'Deployment/tagflow-worker-gpu',
        'PersistentVolumeClaim/tagflow-data',
      ]),
    );
    expect(applied.filter((d) => d.kind === 'Secret')).toEqual([]);
  });

  it('runs worker commands tagflow accepts, with a grace period the kubelet honours', () => {
    const served = new Set<string>();
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      for (const [key, value] of Object.entries(d.spec.selector.matchLabels))
        expect(d.spec.template.metadata.labels[key], `${d.metadata.name}: ${key}`).toBe(value);
      const [container] = pod.containers;
      const gpu = expectPinned(container.image, d.metadata.name).name.endsWith('-gpu');
      expect(expectPinned(container.image, d.metadata.name).tag).toBe(PACKAGE_VERSION);
      const dockerfile = dockerfileFor(`infra/docker/Dockerfile.worker${gpu ? '-gpu' : ''}`);
      expect(container.command, 'the image entrypoint runs tagflow').toBeUndefined();
      const options = parseWorkerArgs(tagflowArgs(dockerfile.entrypoint, container.args));
      for (const q of options.queues) served.add(q);
      expect(pod.terminationGracePeriodSeconds, d.metadata.name).toBeGreaterThan(
        options.shutdownGrace,
      );
      if (options.queues.includes('gpu')) {
        expect(options.device).toBe('cuda');
        expect(container.resources.limits['nvidia.com/gpu']).toBeGreaterThanOrEqual(1);
        expect(pod.tolerations).toContainEqual(expect.objectContaining({ key: 'nvidia.com/gpu' }));
        expect(Object.keys(pod.nodeSelector ?? {}).length).toBeGreaterThan(0);
      } else {
        expect(container.resources.limits?.['nvidia.com/gpu']).toBeUndefined();
      }
    }
    expect([...served].sort()).toEqual(['cpu', 'gpu']);
  });

  it('mounts the shared RWX claim at the same path everywhere', () => {
    const claims = of('PersistentVolumeClaim');
    expect(claims).toHaveLength(1);
    expect(claims[0].spec.accessModes).toEqual(['ReadWriteMany']);
    const paths = deployments.map((d) => {
      const pod = d.spec.template.spec;
      const volume = pod.volumes.find(
        (v: Doc) => v.persistentVolumeClaim?.claimName === claims[0].metadata.name,
      );
      expect(volume, d.metadata.name).toBeDefined();
      const mount = pod.containers[0].volumeMounts.find((m: Doc) => m.name === volume.name);
      expect(pod.containers[0].workingDir.startsWith(mount.mountPath)).toBe(true);
      return mount.mountPath;
    });
    expect(new Set(paths).size).toBe(1);
  });

  it('passes only connection settings the code reads, from objects that exist', () => {
    const configMaps = new Map(of('ConfigMap').map((c) => [c.metadata.name, c]));
    const secrets = new Map(of('Secret').map((s) => [s.metadata.name, s]));
    for (const c of configMaps.values())
      for (const key of Object.keys(c.data))
        expect(CODE_ENV.has(key), `ConfigMap ${c.metadata.name}: ${key}`).toBe(true);
    for (const s of secrets.values())
      if (s.type === 'Opaque')
        for (const key of Object.keys(s.stringData))
          expect(CODE_ENV.has(key), `Secret ${s.metadata.name}: ${key}`).toBe(true);
    const temporalKeys = Object.keys([...configMaps.values()][0].data).filter((k) =>
      k.startsWith('TEMPORAL_'),
    );
    for (const key of temporalKeys) expect(CONNECTION_ENV.has(key), key).toBe(true);
    expect(temporalKeys).toContain('TEMPORAL_ADDRESS');

    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const container = pod.containers[0];
      for (const from of container.envFrom) {
        if (from.configMapRef) expect(configMaps.has(from.configMapRef.name)).toBe(true);
        if (from.secretRef) {
          expect(secrets.has(from.secretRef.name), from.secretRef.name).toBe(true);
          expect(from.secretRef.optional).toBe(true);
        }
      }
      for (const e of container.env ?? []) {
        expect(CODE_ENV.has(e.name), e.name).toBe(true);
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) expect(secrets.get(ref.name)?.stringData).toHaveProperty(ref.key);
        expect(e.value, `${e.name} must come from a Secret`).toBeUndefined();
      }
      for (const v of pod.volumes.filter((v: Doc) => v.secret))
        expect(secrets.has(v.secret.secretName), v.secret.secretName).toBe(true);
    }
    // Only the cpu-queue worker publishes to the Hub.
    const tokenHolders = deployments.filter((d) =>
      (d.spec.template.spec.containers[0].env ?? []).some((e: Doc) => e.name === 'HF_TOKEN'),
    );
    expect(tokenHolders.map((d) => d.metadata.name)).toEqual(['tagflow-worker-cpu']);
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, testBackend } from '@hookline/testing';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The Kubernetes base (infra/k8s) renders with `kubectl kustomize` and has the structure an
 * operator relies on (CONTRACT §7): the three role Deployments with probes, resources and a
 * non-root, read-only container; Services that select the right pods; the migration Job;
 * HPAs and PDBs that point at real Deployments; settings the config module knows.
 *
 * The manifests are the same for either backend, so they are checked once, in the
 * PostgreSQL project; without kubectl on PATH the checks are skipped and say why.
 */

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [key: string]: any };

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const hasKubectl = kubectl.status === 0;
const skipReason = !hasKubectl
  ? 'kubectl is not on PATH: infra/k8s cannot be rendered here'
  : testBackend() !== 'postgres'
    ? 'the manifests do not depend on the backend: checked in the postgres project'
    : null;
if (skipReason) console.warn(`test/k8s.test.ts skipped: ${skipReason}`);

const ROLES = ['relay', 'api', 'worker'] as const;

function run(args: string[], input?: string): string {
  const result = spawnSync('kubectl', args, { cwd: REPO_ROOT, encoding: 'utf8', input, maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

describe.skipIf(skipReason !== null)('infra/k8s (kubectl kustomize)', () => {
  let rendered = '';
  let objects: Obj[] = [];
  const find = (kind: string, name: string, optional = false): Obj => {
    const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
    if (!optional) expect(found, `${kind}/${name}`).toHaveLength(1);
    return found[0]!;
  };
  const deployment = (role: string) => find('Deployment', `hookline-${role}`);
  const podLabels = (o: Obj): Record<string, string> => o.spec.template.metadata.labels;
  const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  beforeAll(() => {
    rendered = run(['kustomize', 'infra/k8s']);
    // kubectl itself turns the rendered YAML into JSON (one pretty-printed object per
    // resource), offline: `--local` never talks to a cluster.
    const json = run(['annotate', '--local', '-f', '-', '-o', 'json', 'hookline.test/rendered=true'], rendered);
    objects = json
      .split(/\n(?=\{\n)/)
      .filter((part) => part.trim())
      .map((part) => JSON.parse(part) as Obj);
  });

  it('renders every resource once', () => {
    expect(rendered).toMatch(/^kind: Deployment$/m);
    expect(objects.length).toBe(rendered.split(/^---$/m).length);
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        'Deployment/hookline-relay',
        'Deployment/hookline-api',
        'Deployment/hookline-worker',
        'Service/hookline-relay',
        'Service/hookline-api',
        'Job/hookline-migrate',
        'ConfigMap/hookline-config',
        'Secret/hookline-secrets',
        'HorizontalPodAutoscaler/hookline-relay',
        'HorizontalPodAutoscaler/hookline-worker',
        'PodDisruptionBudget/hookline-relay',
        'PodDisruptionBudget/hookline-api',
        'PodDisruptionBudget/hookline-worker',
      ]),
    );
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(
      expect.arrayContaining(ROLES.map((r) => `hookline-${r}`)),
    );
  });

  it.each(ROLES)('hookline-%s runs its role, probed, bounded, non-root and read-only', (role) => {
    const d = deployment(role);
    expect(selects(d.spec.selector.matchLabels, podLabels(d))).toBe(true);
    const pod = d.spec.template.spec;
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    // The image's entrypoint runs services/server/src/main.ts; its argument is the role.
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual([role]);
    expect(c.image).toMatch(/^hookline(:|@|$)/);
    const http = c.ports.find((p: { name: string }) => p.name === 'http');
    expect(http.containerPort).toBe(8080);

    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    for (const kind of ['cpu', 'memory']) {
      expect(c.resources.requests[kind], `requests.${kind}`).toBeTruthy();
      expect(c.resources.limits[kind], `limits.${kind}`).toBeTruthy();
    }

    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);

    // Settings and secrets come from the ConfigMap and the Secret.
    expect(c.envFrom).toEqual(
      expect.arrayContaining([{ configMapRef: { name: 'hookline-config' } }, { secretRef: { name: 'hookline-secrets' } }]),
    );
    // The data directory is a writable emptyDir (the root filesystem is not), and so is /tmp.
    const config = find('ConfigMap', 'hookline-config').data;
    const mounts = new Map<string, string>(c.volumeMounts.map((m: { mountPath: string; name: string }) => [m.mountPath, m.name]));
    for (const path of [config.HOOKLINE_DATA_DIR, '/tmp']) {
      const volume = pod.volumes.find((v: { name: string }) => v.name === mounts.get(path));
      expect(volume?.emptyDir, `a writable emptyDir at ${path}`).toBeDefined();
    }

    // SIGTERM's deadline (plus the preStop pause) ends before the kubelet's SIGKILL.
    const shutdownSeconds = Number.parseInt(config.HOOKLINE_SHUTDOWN_TIMEOUT, 10);
    expect(config.HOOKLINE_SHUTDOWN_TIMEOUT).toMatch(/^\d+s$/);
    const preStop = c.lifecycle?.preStop?.exec?.command;
    const pause = preStop ? Number(preStop[1]) : 0;
    expect(shutdownSeconds + pause).toBeLessThan(pod.terminationGracePeriodSeconds);
  });

  it('Services select the relay and API pods only, on their http port', () => {
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    for (const role of ['relay', 'api']) {
      const service = find('Service', `hookline-${role}`);
      const matched = deployments.filter((d) => selects(service.spec.selector, podLabels(d)));
      expect(matched.map((d) => d.metadata.name)).toEqual([`hookline-${role}`]);
      expect(service.spec.ports.map((p: { targetPort: unknown }) => p.targetPort)).toEqual(['http']);
    }
    // The worker takes no traffic.
    expect(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name)).not.toContain('hookline-worker');
  });

  it('the migration Job runs `npm run migrate:prod` with the same settings', () => {
    const job = find('Job', 'hookline-migrate');
    const pod = job.spec.template.spec;
    expect(['Never', 'OnFailure']).toContain(pod.restartPolicy);
    const c = pod.containers[0];
    expect(c.image).toBe(deployment('relay').spec.template.spec.containers[0].image);
    // The same command as package.json's "migrate:prod": the built migrate CLI (the image
    // has dist/ only; its source must exist here).
    const migrate = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).scripts['migrate:prod'] as string;
    expect(migrate).toBe(c.command.join(' '));
    const script = c.command.at(-1) as string;
    expect(script).toMatch(/\/dist\/.*\.js$/);
    expect(existsSync(join(REPO_ROOT, script.replace('/dist/', '/src/').replace(/\.js$/, '.ts')))).toBe(true);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.envFrom).toEqual(deployment('relay').spec.template.spec.containers[0].envFrom);
    // Nothing in the Job selects or is selected by a Service.
    expect(selects(find('Service', 'hookline-relay').spec.selector, job.spec.template.metadata.labels)).toBe(false);
  });

  it('HPAs scale relay and worker; PDBs cover every role', () => {
    for (const role of ['relay', 'worker']) {
      const hpa = find('HorizontalPodAutoscaler', `hookline-${role}`);
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: `hookline-${role}` });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      // Utilization targets need requests to measure against.
      expect(deployment(role).spec.template.spec.containers[0].resources.requests.cpu).toBeTruthy();
      // An HPA-managed Deployment leaves replicas to it (an apply would otherwise reset them).
      expect(deployment(role).spec.replicas).toBeUndefined();
    }
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    for (const role of ROLES) {
      const pdb = find('PodDisruptionBudget', `hookline-${role}`);
      expect(pdb.apiVersion).toBe('policy/v1');
      const matched = deployments.filter((d) => selects(pdb.spec.selector.matchLabels, podLabels(d)));
      expect(matched.map((d) => d.metadata.name)).toEqual([`hookline-${role}`]);
      const minimum = find('HorizontalPodAutoscaler', `hookline-${role}`, true)?.spec.minReplicas ?? deployment(role).spec.replicas;
      // A PDB that allows no disruption at the minimum replica count would block node drains.
      expect(pdb.spec.minAvailable).toBeLessThan(minimum);
    }
  });

  it('the ConfigMap and Secret hold settings the config module reads, the Secret only placeholders', () => {
    const configSource = readFileSync(join(REPO_ROOT, 'packages/config/src/index.ts'), 'utf8');
    const config = find('ConfigMap', 'hookline-config').data as Record<string, string>;
    const secret = find('Secret', 'hookline-secrets').stringData as Record<string, string>;
    expect(Object.keys(secret).sort()).toEqual(['DATABASE_URL', 'HOOKLINE_SECRET_KEY', 'REDIS_URL']);
    for (const name of [...Object.keys(config), ...Object.keys(secret)]) {
      expect(configSource, `${name} is read by packages/config`).toContain(`'${name}'`);
    }
    expect(config.HOST).toBe('0.0.0.0');
    for (const [name, value] of Object.entries(secret)) expect(value, name).toContain('REPLACE');
  });
});

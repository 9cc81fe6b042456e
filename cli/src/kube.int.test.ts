// orbitctl through the kubeconfig, against a real kube-apiserver (with etcd) on loopback, with the
// chart installed into it by helm: discovery by labels, the operator credential from the release's
// Secret, saved kube contexts, and `check`'s Kubernetes steps. No kubelet or controller runs there,
// so the test plays their part: it creates the gateway Service's EndpointSlice and the Redis pods,
// and sets the workloads' status through the status subresource. The port-forward itself is the
// one piece replaced (no kubelet could answer it): ORBITCTL_PORT_FORWARD_URL maps the gateway pod's
// port to a real standalone ChatOrbit, the sentinel pod's port to a real Redis Sentinel group and
// the MongoDB pod's port to a real FerretDB enforcing SCRAM, which the chart's credentials (read
// back from the API server) protect.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startSentinelGroup, type SentinelGroup, type SpawnedServer } from '@chatorbit/shared/testing';
import { apiServerMissing, startApiServer, type ApiServer } from '../../charts/tests/lib/apiserver.ts';
import { CHART, run, tools } from '../../charts/tests/lib/tools.ts';
import { buildBundle, login, runBin, startFerretWithUser, startWorld, tempDir, type World } from './testing/world.ts';

// Skipped, saying why, only on a machine without kube-apiserver or etcd (CI installs both: .ci/run).
const missing = apiServerMissing();
if (missing) console.warn(`orbitctl's Kubernetes tests are skipped: ${missing}`);
const NS = 'chat';
const RELEASE = 'orbit';
const FULL = `${RELEASE}-chatorbit`;
const GATEWAY_READY_POD = `${FULL}-gateway-7f9c4d-x2b9q`;
const GATEWAY_STARTING_POD = `${FULL}-gateway-7f9c4d-4mzlk`;

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}

describe.skipIf(missing !== undefined)(missing ? `orbitctl through the kubeconfig (skipped: ${missing})` : 'orbitctl through the kubeconfig, against a real kube-apiserver', () => {
  const dir = tempDir('orbitctl-kube-');
  let server: ApiServer;
  let world: World;
  let sentinels: SentinelGroup;
  let ferret: SpawnedServer;
  let mongoPassword: string;
  let bin: string;
  let kubeconfig: string;
  let admin: { username: string; password: string };
  let redisPassword: string;
  let forwards: string;

  const api = async <T = Obj>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await server.api.request<T>(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const apps = (kind: 'deployments' | 'statefulsets', name = '') => `/apis/apps/v1/namespaces/${NS}/${kind}${name ? `/${name}` : ''}`;
  /** Sets a workload's ready replicas, as its controller would (through the status subresource). */
  const setReady = async (kind: 'deployments' | 'statefulsets', component: string, ready: number) => {
    const path = `${apps(kind, `${FULL}-${component}`)}/status`;
    const current = await api<Obj & { spec: { replicas: number } }>('GET', path);
    await api('PUT', path, { ...current, status: { observedGeneration: 1, replicas: current.spec.replicas, updatedReplicas: current.spec.replicas, readyReplicas: ready, availableReplicas: ready } });
  };
  const allReady = async () => {
    for (const c of ['gateway', 'auth', 'user', 'chat']) await setReady('deployments', c, 2);
    for (const c of ['redis', 'mongodb']) await setReady('statefulsets', c, 3);
  };
  /** The gateway Service's EndpointSlice, as the EndpointSlice controller would write it. */
  const gatewaySlice = (readyPod: boolean) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${FULL}-gateway-abcde`, namespace: NS, labels: { 'kubernetes.io/service-name': `${FULL}-gateway`, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['10.244.0.7'], conditions: { ready: false, serving: false, terminating: false }, targetRef: { kind: 'Pod', namespace: NS, name: GATEWAY_STARTING_POD } },
      { addresses: ['10.244.0.8'], conditions: { ready: readyPod, serving: readyPod, terminating: false }, targetRef: { kind: 'Pod', namespace: NS, name: GATEWAY_READY_POD } },
    ],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  });
  const putGatewaySlice = async (readyPod: boolean) => {
    const path = `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices/${FULL}-gateway-abcde`;
    const current = await api<Obj>('GET', path);
    await api('PUT', path, { ...gatewaySlice(readyPod), metadata: { ...gatewaySlice(readyPod).metadata, resourceVersion: current.metadata.resourceVersion } });
  };
  const secretPath = (name: string) => `/api/v1/namespaces/${NS}/secrets/${name}`;
  const setSecretKey = async (name: string, key: string, value: string) => {
    const secret = await api<Obj>('GET', secretPath(name));
    await api('PUT', secretPath(name), { ...secret, data: { ...secret.data, [key]: Buffer.from(value).toString('base64') } });
  };

  /** orbitctl with a kubeconfig and nothing else: no server, no token, an empty config dir. */
  const orbitctl = (args: string[], env: Record<string, string | undefined> = {}, input?: string) =>
    runBin(bin, args, { HOME: join(dir.path, 'home'), XDG_CONFIG_HOME: join(dir.path, 'config'), ORBITCTL_PORT_FORWARD_URL: forwards, ...env }, input);
  const kube = ['--kubeconfig', '', '-n', NS, '--release', RELEASE];
  const withKube = (args: string[]) => [...args, ...kube.map((a) => (a === '' ? kubeconfig : a))];

  beforeAll(async () => {
    bin = buildBundle(dir.path);
    mkdirSync(join(dir.path, 'home'));
    server = await startApiServer();
    const helmHome = join(dir.path, 'helm');
    const helm = await run(tools.helm(), ['install', RELEASE, CHART, '--namespace', NS, '--create-namespace', '--set', 'redis.masterName=orbit'], {
      env: { PATH: process.env.PATH, HOME: helmHome, KUBECONFIG: server.kubeconfig, HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_DATA_HOME: join(helmHome, 'data') },
    });
    if (helm.code !== 0) throw new Error(`helm install failed: ${helm.stderr}`);

    // What the chart generated: the first admin's credential and the Redis password.
    const decode = (b64: string) => Buffer.from(b64, 'base64').toString();
    const adminSecret = await api<Obj>('GET', secretPath(`${FULL}-admin`));
    admin = { username: decode(adminSecret.data!.username!), password: decode(adminSecret.data!.password!) };
    redisPassword = decode((await api<Obj>('GET', secretPath(`${FULL}-redis`))).data!['redis-password']!);
    // The services' MongoDB user (mongodb.username), whose password chat's MONGO_URL expands.
    mongoPassword = decode((await api<Obj>('GET', secretPath(`${FULL}-mongodb`))).data!.password!);
    [world, sentinels, ferret] = await Promise.all([
      startWorld({ redisUrl: inject('redisUrl'), mongoUrl: inject('mongoUrl'), name: 'kube', admin, chatNodes: 1 }),
      startSentinelGroup({ replicas: 1, sentinels: 1, masterName: 'orbit', password: redisPassword, sentinelPassword: redisPassword }),
      startFerretWithUser('chatorbit', mongoPassword),
    ]);

    // The controllers' and kubelet's part: the gateway's endpoints (one pod ready, one starting),
    // the pods of the Redis and MongoDB StatefulSets (member 1 of each running and ready), every
    // workload ready.
    await api('POST', `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, gatewaySlice(true));
    for (const component of ['redis', 'mongodb']) {
      const sts = await api<Obj & { spec: { template: { metadata: { labels: Record<string, string> }; spec: { volumes?: unknown[]; [k: string]: unknown } }; volumeClaimTemplates?: Array<{ metadata: { name: string } }> } }>('GET', apps('statefulsets', `${FULL}-${component}`));
      for (const i of [0, 1, 2]) {
        const name = `${FULL}-${component}-${i}`;
        const template = sts.spec.template;
        // The StatefulSet controller adds a volume for each claim template.
        const claims = (sts.spec.volumeClaimTemplates ?? []).map((c) => ({ name: c.metadata.name, persistentVolumeClaim: { claimName: `${c.metadata.name}-${name}` } }));
        const spec = { ...template.spec, volumes: [...(template.spec.volumes ?? []), ...claims], hostname: name, subdomain: `${FULL}-${component}-headless` };
        await api('POST', `/api/v1/namespaces/${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { ...template.metadata.labels, 'statefulset.kubernetes.io/pod-name': name } }, spec });
      }
      const pod1 = await api<Obj>('GET', `/api/v1/namespaces/${NS}/pods/${FULL}-${component}-1/status`);
      const now = new Date().toISOString();
      await api('PUT', `/api/v1/namespaces/${NS}/pods/${FULL}-${component}-1/status`, {
        ...pod1,
        status: { phase: 'Running', podIP: component === 'redis' ? '10.244.0.21' : '10.244.0.31', conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: now })) },
      });
    }
    await allReady();

    forwards = [`${GATEWAY_READY_POD}:8080=${world.url}`, `${FULL}-redis-1:26379=tcp://${sentinels.sentinels[0]!.host}:${sentinels.sentinels[0]!.port}`, `${FULL}-mongodb-1:27017=tcp://127.0.0.1:${new URL(ferret.url).port}`].join(',');

    // Contexts: the API server's admin as is, one with the namespace set, one user who may not read
    // Secrets (a ServiceAccount token), and a cluster that is down.
    const base = JSON.parse(readFileSync(server.kubeconfig, 'utf8')) as { clusters: Array<{ name: string; cluster: Record<string, string> }>; users: Array<{ name: string; user: Record<string, string> }>; contexts: Array<{ name: string; context: Record<string, string> }> };
    await api('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'viewer' } });
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'viewer' },
      rules: [
        { apiGroups: [''], resources: ['services', 'pods', 'configmaps'], verbs: ['get', 'list'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list'] },
        { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list'] },
      ],
    });
    await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'viewer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'viewer' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: NS }],
    });
    const request = await api<{ status: { token: string } }>('POST', `/api/v1/namespaces/${NS}/serviceaccounts/viewer/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
    const cluster = base.clusters[0]!;
    kubeconfig = join(dir.path, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [cluster, { name: 'down', cluster: { ...cluster.cluster, server: `https://127.0.0.1:${await freePort()}` } }],
        users: [...base.users, { name: 'viewer', user: { token: request.status.token } }],
        contexts: [
          { name: 'test', context: { cluster: cluster.name, user: 'admin' } },
          { name: 'chat', context: { cluster: cluster.name, user: 'admin', namespace: NS } },
          { name: 'restricted', context: { cluster: cluster.name, user: 'viewer', namespace: NS } },
          { name: 'down', context: { cluster: 'down', user: 'admin', namespace: NS } },
        ],
        'current-context': 'test',
      }),
      { mode: 0o600 },
    );
  }, 240_000);

  afterAll(async () => {
    await sentinels?.stop();
    await ferret?.stop();
    await world?.close();
    await server?.stop();
    dir.remove();
  });

  describe('discovery and credentials', () => {
    it('finds the gateway by its labels, forwards to the ready pod behind it, logs in with the admin Secret', async () => {
      // Global bans are for admins only: this answers because the Secret's credential was used.
      const run = await orbitctl(withKube(['bans', 'list', '--global', '-o', 'json']));
      expect(run).toEqual({ code: 0, stdout: '{\n  "bans": []\n}\n', stderr: '' });
      const version = await orbitctl(withKube(['version', '-o', 'json']));
      expect(JSON.parse(version.stdout).server).toMatchObject({ url: world.url, status: 'ready' });
    });

    it('honours KUBECONFIG, --context and the context namespace; the default release name is chatorbit', async () => {
      const viaEnv = await orbitctl(['bans', 'list', '--global', '--context', 'chat', '--release', RELEASE], { KUBECONFIG: kubeconfig });
      expect(viaEnv).toEqual({ code: 0, stdout: '', stderr: 'No global bans.\n' });
      const noRelease = await orbitctl(['bans', 'list', '--global', '--context', 'chat'], { KUBECONFIG: kubeconfig });
      expect(noRelease).toEqual({
        code: 3,
        stdout: '',
        stderr: 'error: no ChatOrbit release "chatorbit" in namespace chat (no Service labelled app.kubernetes.io/instance=chatorbit,app.kubernetes.io/component=gateway)\nhint:  `helm list -A` shows the releases: pass --release NAME and -n NAMESPACE\n',
      });
      // The current context (test) has no namespace: default, where there is no release.
      const defaultNs = await orbitctl(['bans', 'list', '--global', '--release', RELEASE], { KUBECONFIG: kubeconfig });
      expect(defaultNs.code).toBe(3);
      expect(defaultNs.stderr).toMatch(/^error: no ChatOrbit release "orbit" in namespace default /);
    });

    it('says what is wrong: an unknown context (3), a cluster that is down (5), no kubeconfig (5)', async () => {
      expect(await orbitctl(['rooms', 'list', '--kubeconfig', kubeconfig, '--context', 'nope'])).toEqual({
        code: 3,
        stdout: '',
        stderr: 'error: context "nope" not in the kubeconfig\nhint:  `kubectl config get-contexts` lists them; pass one of those to --context\n',
      });
      const down = await orbitctl(['rooms', 'list', '--kubeconfig', kubeconfig, '--context', 'down', '--release', RELEASE]);
      expect(down.code).toBe(5);
      expect(down.stderr).toMatch(/^error: cannot reach the Kubernetes API to list services in chat: .*\nhint: {2}check the cluster is up and your kubeconfig context \(`kubectl cluster-info`\)\n$/);
      const none = await orbitctl(['rooms', 'list']);
      expect(none.code).toBe(5);
      expect(none.stderr).toBe('error: no Kubernetes cluster configured (no kubeconfig, or no current context)\nhint:  give the gateway with --server URL (or ORBITCTL_SERVER), or point --kubeconfig / KUBECONFIG at a cluster\n');
    });

    it('no ready gateway endpoint: exit 5, and nothing is forwarded', async () => {
      await putGatewaySlice(false);
      try {
        const run = await orbitctl(withKube(['rooms', 'list']));
        expect(run).toEqual({
          code: 5,
          stdout: '',
          stderr: `error: no ready gateway pod behind Service ${FULL}-gateway (2 endpoint(s), none ready)\nhint:  \`kubectl -n chat get pods -l app.kubernetes.io/component=gateway,app.kubernetes.io/instance=orbit,app.kubernetes.io/name=chatorbit\` and \`orbitctl check -n chat\` show why\n`,
        });
      } finally {
        await putGatewaySlice(true);
      }
    });

    it('a forward to a pod the hook does not know is refused (so the successes above went to the ready pod)', async () => {
      const run = await orbitctl(withKube(['rooms', 'list']), { ORBITCTL_PORT_FORWARD_URL: `${GATEWAY_STARTING_POD}:8080=${world.url}` });
      expect(run).toMatchObject({ code: 2, stderr: `error: ORBITCTL_PORT_FORWARD_URL has no URL for ${GATEWAY_READY_POD}:8080\nhint:  add ${GATEWAY_READY_POD}:8080=URL to it, or unset it to port-forward through the API server\n` });
    });

    it('a credential auth does not accept is reported as such (exit 4)', async () => {
      await setSecretKey(`${FULL}-admin`, 'password', 'not what auth was started with');
      try {
        const run = await orbitctl(withKube(['rooms', 'list']));
        expect(run.code).toBe(4);
        expect(run.stderr).toBe(
          `error: the operator credential in Secret ${FULL}-admin was refused: invalid login or password\n` +
            'hint:  auth reads it at start-up: restart auth after changing it (`kubectl -n chat rollout restart deployment -l app.kubernetes.io/instance=orbit,app.kubernetes.io/component=auth`); or log in: `orbitctl login -n chat --release orbit`, or pass --token\n',
        );
      } finally {
        await setSecretKey(`${FULL}-admin`, 'password', admin.password);
      }
    });

    it('without access to Secrets: log in (exit 4); `orbitctl login` saves a context for the release, whose token refreshes through the port-forward', async () => {
      const restricted = ['--kubeconfig', kubeconfig, '--context', 'restricted', '--release', RELEASE];
      const refused = await orbitctl(['bans', 'list', '--global', ...restricted]);
      // The viewer may read everything else orbitctl needs: the release is found, the pod forwarded to.
      expect(refused.stderr).not.toContain('Kubernetes refused');
      expect(refused).toEqual({
        code: 4,
        stdout: '',
        stderr: 'error: no operator credential for release orbit: its auth Deployment has no ADMIN_USERNAME/ADMIN_PASSWORD that you may read\nhint:  log in: `orbitctl login --context restricted -n chat --release orbit`, or pass --token\n',
      });
      const own = { XDG_CONFIG_HOME: join(dir.path, 'login-config') };
      const loggedIn = await orbitctl(['login', '--username', admin.username, '--password-stdin', ...restricted], own, `${admin.password}\n`);
      expect(loggedIn).toMatchObject({ code: 0, stderr: '' });
      expect(loggedIn.stdout).toBe(`logged in to kube:restricted/chat/orbit as admin; context "admin@chat/orbit" is now current (token valid 15m, refreshed by itself for 30d unused)\n`);
      const file = join(dir.path, 'login-config', 'orbitctl', 'config.json');
      const config = JSON.parse(readFileSync(file, 'utf8')) as { contexts: Array<Record<string, unknown>> };
      expect(config.contexts).toEqual([
        {
          name: 'admin@chat/orbit',
          kube: { kubeconfig, context: 'restricted', namespace: NS, release: RELEASE },
          token: expect.stringMatching(/^eyJ/),
          expiresAt: expect.any(Number),
          refreshToken: expect.any(String),
          refreshExpiresAt: expect.any(Number),
          user: { id: world.admin.id, username: 'admin' },
        },
      ]);
      // The saved context is the current one: no flags needed; and with the flags, it is found too.
      expect(await orbitctl(['bans', 'list', '--global'], own)).toEqual({ code: 0, stdout: '', stderr: 'No global bans.\n' });
      expect((await orbitctl(['bans', 'list', '--global', ...restricted], own)).code).toBe(0);
      // Its access token refused: refreshed through the port-forward, the rotated token saved.
      const session = await login(world.url, admin.username, admin.password);
      writeFileSync(file, JSON.stringify({ ...config, contexts: [{ ...config.contexts[0], token: 'garbage', expiresAt: Date.now() + 3_600_000, refreshToken: session.refreshToken }] }));
      expect(await orbitctl(['bans', 'list', '--global'], own)).toEqual({ code: 0, stdout: '', stderr: 'No global bans.\n' });
      const after = (JSON.parse(readFileSync(file, 'utf8')) as { contexts: Array<{ token: string; refreshToken: string }> }).contexts[0]!;
      expect(after.token).toMatch(/^eyJ/);
      expect(after.refreshToken).not.toBe(session.refreshToken);
      // A refused refresh: log in again, with the command for this release.
      await fetch(`${world.url}/api/v1/auth/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: after.refreshToken }) });
      writeFileSync(file, JSON.stringify({ ...config, contexts: [{ ...config.contexts[0], token: 'garbage', expiresAt: Date.now() + 3_600_000, refreshToken: after.refreshToken }] }));
      const ended = await orbitctl(['bans', 'list', '--global'], own);
      expect(ended).toEqual({
        code: 4,
        stdout: '',
        stderr: `error: the session saved in context admin@chat/orbit has ended: the refresh token has been revoked\nhint:  log in again: \`orbitctl login --kubeconfig ${kubeconfig} --context restricted -n chat --release orbit\`\n`,
      });
    });
  });
  describe('check through the kubeconfig', () => {
    interface Result {
      category: string;
      name: string;
      status: string;
      detail: string;
      hint?: string;
    }
    const check = async (extra: string[] = [], env: Record<string, string> = {}) => {
      const run = await orbitctl(withKube(['check', '-o', 'json', ...extra]), env);
      return { ...run, data: JSON.parse(run.stdout) as { checks: Result[]; worst: string } };
    };
    const statuses = (checks: Result[]) => checks.map((c) => `${c.status} ${c.category}: ${c.name}`);
    const release = `release ${RELEASE} in ${NS}`;
    const allOk = [
      'ok kubernetes: Kubernetes API reachable',
      `ok ${release}: release found`,
      `ok ${release}: workloads listed`,
      `ok ${release}: Deployment ${FULL}-auth ready`,
      `ok ${release}: Deployment ${FULL}-chat ready`,
      `ok ${release}: Deployment ${FULL}-gateway ready`,
      `ok ${release}: Deployment ${FULL}-user ready`,
      `ok ${release}: StatefulSet ${FULL}-mongodb ready`,
      `ok ${release}: StatefulSet ${FULL}-redis ready`,
      `ok ${release}: gateway pod ready behind its Service`,
      'ok redis: master known to the sentinels, replicas in sync',
      'ok mongodb: primary elected',
      'ok chatorbit: gateway ready',
      'ok chatorbit: JWKS served',
      'ok chatorbit: operator token accepted',
      'ok chatorbit: WebSocket round trip through the gateway',
      'ok chatorbit: metrics endpoint',
    ];

    it('everything ready: each step ✔, exit 0; the Redis step asks the release\'s sentinel with its password, the MongoDB step the ready member with chat\'s credential', async () => {
      const { code, stderr, data } = await check();
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(statuses(data.checks)).toEqual(allOk);
      expect(data.worst).toBe('ok');
      const byName = Object.fromEntries(data.checks.map((c) => [c.name, c]));
      expect(byName['Kubernetes API reachable']!.detail).toBe(`${server.url} (v1.34.2)`);
      expect(byName['release found']!.detail).toBe(`gateway Service ${FULL}-gateway`);
      expect(byName['workloads listed']!.detail).toBe('6: auth, chat, gateway, user, mongodb, redis');
      expect(byName[`Deployment ${FULL}-chat ready`]!.detail).toBe('2/2 ready');
      expect(byName['gateway pod ready behind its Service']!.detail).toBe(`pod ${GATEWAY_READY_POD}, port 8080`);
      const master = await sentinels.master();
      expect(byName['master known to the sentinels, replicas in sync']!.detail).toMatch(
        new RegExp(`^master ${master.host}:${master.port}, 1 replicas, 1 sentinels \\(quorum 1\\), replica offsets within \\d+ bytes; asked the sentinel on ${FULL}-redis-1 about orbit$`),
      );
      // FerretDB answers hello as a standalone: isWritablePrimary, no setName, no hosts.
      expect(byName['primary elected']!.detail).toBe(`${FULL}-mongodb-1 is writable primary (no replica set name in its hello reply: a standalone server)`);
      expect(byName['operator token accepted']!.detail).toBe('as admin');
      const table = await orbitctl(withKube(['check']));
      expect(table).toMatchObject({ code: 0, stderr: '' });
      const kid = ((await (await fetch(`${world.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys[0]!.kid;
      const stable = table.stdout.replace(/within \d+ bytes/, 'within <n> bytes').replace(/in \d+ ms/, 'in <ms> ms').replace(/\d+ metric families/, '<n> metric families');
      expect(stable).toBe(
        [
          'kubernetes',
          '----------',
          `✔ Kubernetes API reachable: ${server.url} (v1.34.2)`,
          '',
          'release orbit in chat',
          '---------------------',
          `✔ release found: gateway Service ${FULL}-gateway`,
          '✔ workloads listed: 6: auth, chat, gateway, user, mongodb, redis',
          `✔ Deployment ${FULL}-auth ready: 2/2 ready`,
          `✔ Deployment ${FULL}-chat ready: 2/2 ready`,
          `✔ Deployment ${FULL}-gateway ready: 2/2 ready`,
          `✔ Deployment ${FULL}-user ready: 2/2 ready`,
          `✔ StatefulSet ${FULL}-mongodb ready: 3/3 ready`,
          `✔ StatefulSet ${FULL}-redis ready: 3/3 ready`,
          `✔ gateway pod ready behind its Service: pod ${GATEWAY_READY_POD}, port 8080`,
          '',
          'redis',
          '-----',
          `✔ master known to the sentinels, replicas in sync: master ${master.host}:${master.port}, 1 replicas, 1 sentinels (quorum 1), replica offsets within <n> bytes; asked the sentinel on ${FULL}-redis-1 about orbit`,
          '',
          'mongodb',
          '-------',
          `✔ primary elected: ${FULL}-mongodb-1 is writable primary (no replica set name in its hello reply: a standalone server)`,
          '',
          'chatorbit',
          '---------',
          `✔ gateway ready: ${world.url} (port-forward to chat/${GATEWAY_READY_POD} (release orbit))`,
          `✔ JWKS served: 1 key(s): ${kid} EdDSA`,
          '✔ operator token accepted: as admin',
          '✔ WebSocket round trip through the gateway: joined orbitctl-check, sent and received a message in <ms> ms',
          '✔ metrics endpoint: <n> metric families',
          '',
          'Status check results are ✔',
          '',
        ].join('\n'),
      );
    });

    it('workloads not ready: ‼ when some replicas are, ✘ with a hint when none is; exit 1', async () => {
      await setReady('deployments', 'chat', 1);
      await setReady('deployments', 'user', 0);
      try {
        const { code, stderr, data } = await check();
        expect(code).toBe(1);
        expect(JSON.parse(stderr)).toEqual({ error: { code: 'error', message: '1 check(s) failed', hint: 'fix the ✘ above, following each hint, then run `orbitctl check` again', exitCode: 1 } });
        expect(data.worst).toBe('fail');
        expect(data.checks.find((c) => c.name === `Deployment ${FULL}-chat ready`)).toEqual({
          category: release,
          name: `Deployment ${FULL}-chat ready`,
          status: 'warn',
          detail: '1/2 ready',
          hint: `\`kubectl -n chat describe deployment ${FULL}-chat\` and the events of its pods say why`,
        });
        expect(data.checks.find((c) => c.name === `Deployment ${FULL}-user ready`)).toMatchObject({ status: 'fail', detail: '0/2 ready' });
        // The gateway still answers: the HTTP steps run.
        expect(statuses(data.checks).filter((s) => !allOk.includes(s))).toEqual([`warn ${release}: Deployment ${FULL}-chat ready`, `fail ${release}: Deployment ${FULL}-user ready`]);
        const table = await orbitctl(withKube(['check']));
        expect(table.code).toBe(1);
        expect(table.stdout).toContain(`‼ Deployment ${FULL}-chat ready: 1/2 ready\n    hint: \`kubectl -n chat describe deployment ${FULL}-chat\` and the events of its pods say why\n`);
        expect(table.stdout).toContain(`✘ Deployment ${FULL}-user ready: 0/2 ready\n    hint: `);
        expect(table.stdout).toMatch(/Status check results are ✘\n$/);
        expect(table.stderr).toBe('error: 1 check(s) failed\nhint:  fix the ✘ above, following each hint, then run `orbitctl check` again\n');
      } finally {
        await allReady();
      }
    });

    it('no ready gateway pod: ✘ with a hint, the gateway steps skipped, the rest still checked; exit 1', async () => {
      await putGatewaySlice(false);
      try {
        const { code, data } = await check();
        expect(code).toBe(1);
        expect(statuses(data.checks)).toEqual([...allOk.slice(0, 9), `fail ${release}: gateway pod ready behind its Service`, ...allOk.slice(10, 12)]);
        expect(data.checks[9]).toMatchObject({ detail: `no ready gateway pod behind Service ${FULL}-gateway (2 endpoint(s), none ready)`, hint: expect.stringContaining('kubectl -n chat get pods -l ') });
      } finally {
        await putGatewaySlice(true);
      }
    });

    it('a sentinel that refuses the password in the release\'s Secret: ✘ with a hint', async () => {
      await setSecretKey(`${FULL}-redis`, 'redis-password', 'not the password');
      try {
        const { code, data } = await check();
        expect(code).toBe(1);
        expect(data.checks.find((c) => c.category === 'redis')).toEqual({
          category: 'redis',
          name: 'master known to the sentinels, replicas in sync',
          status: 'fail',
          detail: expect.stringMatching(new RegExp(`^the sentinel on ${FULL}-redis-1 refused the password: WRONGPASS`)),
          hint: "check the chat Deployment's REDIS_SENTINEL_PASSWORD against the sentinels' requirepass",
        });
      } finally {
        await setSecretKey(`${FULL}-redis`, 'redis-password', redisPassword);
      }
    });

    it("MongoDB refusing the password in the release's Secret: ✘ with a hint, the other steps unaffected", async () => {
      await setSecretKey(`${FULL}-mongodb`, 'password', 'not-the-password');
      try {
        const { code, data } = await check();
        expect(code).toBe(1);
        expect(statuses(data.checks).filter((s) => !allOk.includes(s))).toEqual(['fail mongodb: primary elected']);
        expect(data.checks.find((c) => c.category === 'mongodb')).toEqual({
          category: 'mongodb',
          name: 'primary elected',
          status: 'fail',
          detail: expect.stringMatching(new RegExp(`^MongoDB on ${FULL}-mongodb-1 refused chat's credential \\(user chatorbit\\): Authentication failed`)),
          hint: `check the \`password\` key of the MongoDB Secret against the user the replset container created (\`kubectl -n chat logs ${FULL}-mongodb-1 -c replset\`)`,
        });
      } finally {
        await setSecretKey(`${FULL}-mongodb`, 'password', mongoPassword);
      }
    });

    it('nothing listening at the MongoDB pod\'s port: ✘ unreachable with a hint', async () => {
      const closed = await freePort();
      const { code, data } = await check([], { ORBITCTL_PORT_FORWARD_URL: forwards.replace(/(mongodb-1:27017=tcp:\/\/127\.0\.0\.1:)\d+/, `$1${closed}`) });
      expect(code).toBe(1);
      expect(data.checks.find((c) => c.category === 'mongodb')).toEqual({
        category: 'mongodb',
        name: 'primary elected',
        status: 'fail',
        detail: expect.stringMatching(new RegExp(`^cannot ask MongoDB: ${FULL}-mongodb-1: .*ECONNREFUSED`)),
        hint: `check the MongoDB pods and their logs: \`kubectl -n chat logs ${FULL}-mongodb-1 -c mongod\`; check the replset container's log (\`-c replset\`), which forms the set`,
      });
    });

    it('no such release: ✘ release found, exit 1; a cluster that is down: ✘ at the first step, exit 5', async () => {
      const missingRelease = await orbitctl(['check', '-o', 'json', '--kubeconfig', kubeconfig, '-n', NS, '--release', 'nope']);
      expect(missingRelease.code).toBe(1);
      expect(JSON.parse(missingRelease.stdout)).toEqual({
        checks: [
          expect.objectContaining({ name: 'Kubernetes API reachable', status: 'ok' }),
          {
            category: 'release nope in chat',
            name: 'release found',
            status: 'fail',
            detail: 'no ChatOrbit release "nope" in namespace chat (no Service labelled app.kubernetes.io/instance=nope,app.kubernetes.io/component=gateway)',
            hint: '`helm list -A` shows the releases: pass --release NAME and -n NAMESPACE',
          },
        ],
        worst: 'fail',
      });
      const down = await orbitctl(['check', '--kubeconfig', kubeconfig, '--context', 'down', '--release', RELEASE]);
      expect(down.code).toBe(5);
      expect(down.stdout).toMatch(/^kubernetes\n----------\n✘ Kubernetes API reachable: cannot reach the Kubernetes API to reach the API server: .*\n {4}hint: check the cluster is up and your kubeconfig context \(`kubectl cluster-info`\)\n\nStatus check results are ✘\n$/);
    });
  });
});

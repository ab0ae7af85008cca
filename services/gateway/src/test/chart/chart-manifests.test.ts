import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Topics } from '@mailshield/common';
import { ANTISPAM_GROUP } from '@mailshield/antispam';
import { CONSUMER_GROUP as ANTIVIRUS_GROUP } from '@mailshield/antivirus/dist/consumer.js';
import { repoRoot } from '../harness/processes.js';
import {
  find,
  fullValues,
  minimalValues,
  ofKind,
  render,
  runHelm,
  smallValues,
  templateArgs,
  type Manifest,
} from './helm.js';

const prefix = 'mail-mailshield';
const services = {
  interceptor: 50051,
  antivirus: 50052,
  antispam: 50053,
  'control-plane': 50050,
} as const;

const minimal = render([minimalValues]);
const full = render([fullValues]);
const small = render([smallValues]);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Container = any;

function podSpec(manifests: Manifest[], service: string) {
  return find(manifests, 'Deployment', `${prefix}-${service}`).spec.template.spec;
}

function allContainers(manifests: Manifest[], service: string): Container[] {
  const spec = podSpec(manifests, service);
  return [...(spec.initContainers ?? []), ...spec.containers];
}

function container(manifests: Manifest[], service: string, name: string): Container {
  const found = allContainers(manifests, service).find((item) => item.name === name);
  assert.ok(found, `no container ${name} in ${service}`);
  return found;
}

function env(item: Container): Map<string, string | undefined> {
  return new Map(
    item.env.map((entry: { name: string; value?: string }) => [entry.name, entry.value]),
  );
}

describe('rendered deployments', () => {
  for (const [service, port] of Object.entries(services)) {
    test(`${service} has native gRPC probes`, () => {
      const main = container(minimal, service, service);
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        assert.deepEqual(main[probe].grpc, { port }, `${probe} of ${service}`);
      }
      const grpcPort = main.ports.find((item: { name: string }) => item.name === 'grpc');
      assert.equal(grpcPort.containerPort, port);
    });

    test(`${service} runs locked down`, () => {
      const spec = podSpec(full, service);
      assert.equal(spec.securityContext.runAsNonRoot, true);
      assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault');
      assert.ok(spec.terminationGracePeriodSeconds >= 30);
      for (const item of allContainers(full, service)) {
        const context = item.securityContext;
        assert.equal(context.runAsNonRoot, true, item.name);
        assert.equal(context.readOnlyRootFilesystem, true, item.name);
        assert.equal(context.allowPrivilegeEscalation, false, item.name);
        assert.deepEqual(context.capabilities.drop, ['ALL'], item.name);
        assert.equal(context.capabilities.add, undefined, item.name);
        assert.equal(context.seccompProfile.type, 'RuntimeDefault', item.name);
        assert.ok(item.resources.requests.memory, `memory request of ${item.name}`);
        assert.ok(item.resources.limits.memory, `memory limit of ${item.name}`);
      }
    });

    test(`${service} has a Service, a budget and an account`, () => {
      const serviceObject = find(minimal, 'Service', `${prefix}-${service}`);
      const ports = serviceObject.spec.ports.map((item: { port: number }) => item.port);
      assert.ok(ports.includes(port));
      const budget = find(minimal, 'PodDisruptionBudget', `${prefix}-${service}`);
      assert.equal(budget.spec.maxUnavailable, 1);
      const spec = podSpec(minimal, service);
      assert.equal(spec.serviceAccountName, `${prefix}-${service}`);
      assert.equal(spec.automountServiceAccountToken, service === 'control-plane');
      find(minimal, 'ServiceAccount', `${prefix}-${service}`);
    });
  }

  test('selectors match the pod labels', () => {
    for (const manifest of [...ofKind(full, 'Service'), ...ofKind(full, 'PodDisruptionBudget')]) {
      const selector = manifest.spec.selector.matchLabels ?? manifest.spec.selector;
      const component = selector['app.kubernetes.io/component'];
      const labels = podSpecLabels(full, component);
      for (const [key, value] of Object.entries(selector)) {
        assert.equal(
          labels[key],
          value,
          `${manifest.kind} ${manifest.metadata.name} selects ${key}`,
        );
      }
    }
  });

  test('every object carries the standard labels', () => {
    for (const manifest of full) {
      const labels = manifest.metadata.labels ?? {};
      for (const key of [
        'app.kubernetes.io/name',
        'app.kubernetes.io/instance',
        'app.kubernetes.io/managed-by',
        'app.kubernetes.io/part-of',
        'helm.sh/chart',
      ]) {
        assert.ok(labels[key], `${manifest.kind} ${manifest.metadata.name} lacks ${key}`);
      }
      assert.equal(labels['team'], 'mail', `${manifest.kind} ${manifest.metadata.name}`);
    }
  });

  test('extra environment comes last', () => {
    const names = [...env(container(full, 'interceptor', 'interceptor')).keys()];
    assert.equal(names.at(-1), 'NODE_OPTIONS');
    assert.equal(new Set(names).size, names.length, 'an environment name appears twice');
  });

  test('environment names are ones the services read', () => {
    const sources = new Map<string, string>();
    for (const service of Object.keys(services)) {
      sources.set(service, compiledSources(service) + compiledSources('common'));
    }
    for (const [service, text] of sources) {
      for (const name of env(container(full, service, service)).keys()) {
        if (name === 'OTEL_EXPORTER_OTLP_ENDPOINT' || name === 'NODE_OPTIONS') continue;
        // The integrity monitor builds these names from each component's name.
        const perComponent = /^MAILSHIELD_[A-Z]+(_POD_SELECTOR|_DEPLOYMENT)$/.exec(name);
        const read = perComponent === null ? `'${name}'` : `${perComponent[1]}\``;
        assert.ok(text.includes(read), `${service} does not read ${name}`);
      }
    }
  });
});

describe('rendered antivirus pod', () => {
  const spec = podSpec(full, 'antivirus');

  test('shares a RAM store with clamd', () => {
    const volume = spec.volumes.find((item: { name: string }) => item.name === 'scan-store');
    assert.equal(volume.emptyDir.medium, 'Memory');
    assert.equal(volume.emptyDir.sizeLimit, '1Gi');
    const antivirus = container(full, 'antivirus', 'antivirus');
    const clamd = container(full, 'antivirus', 'clamd');
    const mountOf = (item: Container) =>
      item.volumeMounts.find((mount: { name: string }) => mount.name === 'scan-store').mountPath;
    assert.equal(mountOf(antivirus), mountOf(clamd));
    const variables = env(antivirus);
    assert.equal(variables.get('MAILSHIELD_ANTIVIRUS_STORE_DIR'), mountOf(antivirus));
    assert.equal(variables.get('MAILSHIELD_CLAMD_SHARES_STORE'), 'true');
    assert.equal(variables.get('MAILSHIELD_CLAMD_ADDRESS'), '127.0.0.1:3310');
    assert.equal(Number(variables.get('MAILSHIELD_ANTIVIRUS_STORE_MAX_BYTES')), 512 * 1024 * 1024);
  });

  test('runs clamd and freshclam as sidecars', () => {
    const names = spec.initContainers.map((item: { name: string }) => item.name);
    assert.deepEqual(names, ['freshclam-init', 'clamd', 'freshclam']);
    assert.equal(container(full, 'antivirus', 'clamd').restartPolicy, 'Always');
    assert.equal(container(full, 'antivirus', 'freshclam').restartPolicy, 'Always');
    assert.equal(container(full, 'antivirus', 'freshclam-init').restartPolicy, undefined);
    // clamd's config binds loopback only, so nothing outside the pod reaches it.
    const config = find(full, 'ConfigMap', `${prefix}-clamav`).data['clamd.conf'];
    assert.match(config, /^TCPAddr 127\.0\.0\.1$/m);
    assert.match(config, /^TCPSocket 3310$/m);
  });

  test('passes the signature mirror to freshclam', () => {
    const config = find(full, 'ConfigMap', `${prefix}-clamav`).data['freshclam.conf'];
    assert.match(config, /^DatabaseMirror clamav-mirror\.internal\.example\.com$/m);
    assert.match(config, /^PrivateMirror https:\/\/clamav-mirror\.internal\.example\.com$/m);
    assert.match(config, /^HTTPProxyServer proxy\.internal\.example\.com$/m);
    const defaults = find(minimal, 'ConfigMap', `${prefix}-clamav`).data['freshclam.conf'];
    assert.doesNotMatch(defaults, /Mirror/);
  });

  test('keeps baked signatures without freshclam', () => {
    const names = podSpec(small, 'antivirus').initContainers.map(
      (item: { name: string }) => item.name,
    );
    assert.deepEqual(names, ['clamd']);
    const mounts = container(small, 'antivirus', 'clamd').volumeMounts.map(
      (mount: { mountPath: string }) => mount.mountPath,
    );
    assert.ok(!mounts.includes('/var/lib/clamav'));
  });
});

describe('rendered SMTP entry', () => {
  test('is a LoadBalancer that keeps the client address', () => {
    const smtp = find(minimal, 'Service', `${prefix}-smtp`);
    assert.equal(smtp.spec.type, 'LoadBalancer');
    assert.equal(smtp.spec.externalTrafficPolicy, 'Local');
    assert.deepEqual(smtp.spec.ports[0], {
      name: 'smtp',
      port: 25,
      targetPort: 'smtp',
      protocol: 'TCP',
      appProtocol: 'smtp',
    });
  });

  test('leaves the PROXY protocol off by default', () => {
    const variables = env(container(minimal, 'interceptor', 'interceptor'));
    assert.equal(variables.get('MAILSHIELD_SMTP_PROXY_PROTOCOL'), 'false');
    assert.equal(variables.has('MAILSHIELD_SMTP_PROXY_PEERS'), false);
    assert.equal(variables.get('MAILSHIELD_CLUSTER_NETWORKS'), '');
    assert.equal(find(minimal, 'Service', `${prefix}-smtp`).metadata.annotations, undefined);
  });

  test('passes the PROXY protocol option on', () => {
    const manifests = render(
      [minimalValues],
      [
        'interceptor.smtpService.proxyProtocol=true',
        'interceptor.smtpService.proxyProtocolProvider=aws-classic',
        'interceptor.smtpService.proxyPeers={10.0.0.7,10.0.0.8}',
        'clusterNetworks={10.244.0.0/16,10.0.0.0/24}',
      ],
    );
    const variables = env(container(manifests, 'interceptor', 'interceptor'));
    assert.equal(variables.get('MAILSHIELD_SMTP_PROXY_PROTOCOL'), 'true');
    assert.equal(variables.get('MAILSHIELD_SMTP_PROXY_PEERS'), '10.0.0.7,10.0.0.8');
    assert.equal(variables.get('MAILSHIELD_CLUSTER_NETWORKS'), '10.244.0.0/16,10.0.0.0/24');
    const smtp = find(manifests, 'Service', `${prefix}-smtp`);
    assert.deepEqual(smtp.metadata.annotations, {
      'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol': '*',
    });
  });

  test('keeps own annotations beside the provider one', () => {
    const smtp = find(full, 'Service', `${prefix}-smtp`);
    assert.deepEqual(smtp.metadata.annotations, {
      'service.beta.kubernetes.io/linode-loadbalancer-throttle': '10',
      'service.beta.kubernetes.io/linode-loadbalancer-default-proxy-protocol': 'v1',
    });
  });

  test('rejects PROXY settings without the protocol', () => {
    const result = runHelm(
      templateArgs([minimalValues], ['interceptor.smtpService.proxyProtocolProvider=linode']),
    );
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /need interceptor\.smtpService\.proxyProtocol: true/);
  });

  test('drains before it stops', () => {
    const interceptor = container(minimal, 'interceptor', 'interceptor');
    assert.equal(interceptor.lifecycle.preStop.sleep.seconds, 10);
    assert.equal(env(interceptor).get('MAILSHIELD_SMTP_DRAIN_SECONDS'), '20');
    const grace = podSpec(minimal, 'interceptor').terminationGracePeriodSeconds;
    assert.ok(grace > 10 + 20, `grace period ${grace}`);
  });

  test('mounts the STARTTLS certificate', () => {
    const variables = env(container(full, 'interceptor', 'interceptor'));
    assert.equal(variables.get('MAILSHIELD_TLS_CERT_FILE'), '/etc/mailshield/tls/tls.crt');
    const volume = podSpec(full, 'interceptor').volumes.find(
      (item: { name: string }) => item.name === 'tls',
    );
    assert.equal(volume.secret.secretName, 'mailshield-smtp-tls');
  });
});

describe('rendered control plane', () => {
  test('has only the listed RBAC verbs', () => {
    const role = find(minimal, 'Role', `${prefix}-control-plane`);
    const granted = role.rules.flatMap(
      (rule: { apiGroups: string[]; resources: string[]; verbs: string[] }) =>
        rule.apiGroups.flatMap((group) =>
          rule.resources.flatMap((resource) =>
            rule.verbs.map((verb) => `${group}/${resource}/${verb}`),
          ),
        ),
    );
    assert.deepEqual(granted.sort(), [
      '/events/create',
      '/pods/delete',
      '/pods/list',
      'apps/deployments/patch',
      'coordination.k8s.io/leases/create',
      'coordination.k8s.io/leases/get',
      'coordination.k8s.io/leases/update',
    ]);
    assert.equal(ofKind(minimal, 'ClusterRole').length, 0);
    const binding = find(minimal, 'RoleBinding', `${prefix}-control-plane`);
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: `${prefix}-control-plane`, namespace: 'mail' },
    ]);
    assert.equal(ofKind(small, 'Role').length, 0);
  });

  test('reads the Backup key from a Secret file', () => {
    const controlPlane = container(minimal, 'control-plane', 'control-plane');
    assert.equal(
      env(controlPlane).get('MAILSHIELD_BACKUP_KEY_FILE'),
      '/etc/mailshield/backup-key/backup.key',
    );
    assert.equal(env(controlPlane).has('MAILSHIELD_BACKUP_KEY'), false);
    const secret = find(minimal, 'Secret', `${prefix}-backup-key`);
    assert.equal(secret.metadata.annotations['helm.sh/resource-policy'], 'keep');
    const key = Buffer.from(secret.data['backup.key'], 'base64');
    assert.equal(Buffer.from(key.toString(), 'base64').length, 32);
  });

  test('uses an existing Backup key Secret', () => {
    const volume = podSpec(full, 'control-plane').volumes.find(
      (item: { name: string }) => item.name === 'backup-key',
    );
    assert.equal(volume.secret.secretName, 'mailshield-backup-key');
    assert.deepEqual(volume.secret.items, [{ key: 'key', path: 'backup.key' }]);
    assert.equal(ofKind(full, 'Secret').length, 0);
    const url = container(full, 'control-plane', 'control-plane').env.find(
      (item: { name: string }) => item.name === 'MAILSHIELD_DATABASE_URL',
    );
    assert.deepEqual(url.valueFrom.secretKeyRef, { name: 'mailshield-database', key: 'url' });
  });
});

describe('rendered scaling', () => {
  test('autoscales the scanners on CPU', () => {
    for (const service of ['antivirus', 'antispam']) {
      const hpa = find(minimal, 'HorizontalPodAutoscaler', `${prefix}-${service}`);
      assert.equal(hpa.spec.scaleTargetRef.name, `${prefix}-${service}`);
      assert.equal(find(minimal, 'Deployment', `${prefix}-${service}`).spec.replicas, undefined);
    }
    assert.equal(ofKind(small, 'HorizontalPodAutoscaler').length, 0);
    assert.equal(find(small, 'Deployment', `${prefix}-antivirus`).spec.replicas, 1);
  });

  test('KEDA scales on the consumer lag', () => {
    const expected = {
      antivirus: { group: ANTIVIRUS_GROUP, topic: Topics.inbound },
      antispam: { group: ANTISPAM_GROUP, topic: Topics.scanned },
    };
    assert.equal(ofKind(full, 'HorizontalPodAutoscaler').length, 0);
    for (const [service, names] of Object.entries(expected)) {
      const scaled = find(full, 'ScaledObject', `${prefix}-${service}`);
      const trigger = scaled.spec.triggers[0];
      assert.equal(trigger.type, 'kafka');
      assert.equal(trigger.metadata.consumerGroup, names.group);
      assert.equal(trigger.metadata.topic, names.topic);
      // Past the partition count (6 here) extra replicas get no partition.
      assert.ok(scaled.spec.maxReplicaCount <= 6);
    }
  });
});

describe('rendered monitoring and network policies', () => {
  test('monitors every service', () => {
    for (const service of Object.keys(services)) {
      const monitor = find(full, 'ServiceMonitor', `${prefix}-${service}`);
      assert.equal(monitor.spec.endpoints[0].port, 'metrics');
      assert.equal(monitor.metadata.labels['release'], 'prometheus');
    }
    assert.equal(ofKind(minimal, 'ServiceMonitor').length, 0);
  });

  test('ships the dashboard for the Grafana sidecar', () => {
    const dashboard = find(full, 'ConfigMap', `${prefix}-dashboard`);
    assert.equal(dashboard.metadata.labels['grafana_dashboard'], '1');
    assert.equal(dashboard.metadata.namespace, 'monitoring');
    const parsed = JSON.parse(dashboard.data['mailshield.json']) as { title: string };
    assert.equal(parsed.title, 'mailshield');
  });

  test('alerts on the issues an operator must act on', () => {
    const rule = find(full, 'PrometheusRule', prefix);
    const alerts = rule.spec.groups.flatMap((group: { rules: { alert: string }[] }) =>
      group.rules.map((item) => item.alert),
    );
    for (const alert of [
      'MailshieldSignaturesStale',
      'MailshieldConsumerLagGrowing',
      'MailshieldScannerErrors',
      'MailshieldUnscannedMessages',
      'MailshieldIntegrityRestarts',
      'MailshieldSelfTestFailed',
    ]) {
      assert.ok(alerts.includes(alert), `${alert} missing`);
    }
  });

  test('limits traffic per service', () => {
    const policies = ofKind(full, 'NetworkPolicy');
    assert.equal(policies.length, 4);
    const interceptor = find(full, 'NetworkPolicy', `${prefix}-interceptor`);
    const smtpRule = interceptor.spec.ingress.find((rule: { ports: { port: string }[] }) =>
      rule.ports.some((item) => item.port === 'smtp'),
    );
    assert.deepEqual(smtpRule.from, [{ ipBlock: { cidr: '0.0.0.0/0' } }]);
    const antispam = find(full, 'NetworkPolicy', `${prefix}-antispam`);
    const antispamPorts = antispam.spec.egress.flatMap((rule: { ports: { port: number }[] }) =>
      rule.ports.map((item) => item.port),
    );
    assert.ok(!antispamPorts.includes(5432), 'antispam may not reach PostgreSQL');
    assert.ok(!antispamPorts.includes(25), 'antispam may not reach the next hop');
    const controlPlane = find(full, 'NetworkPolicy', `${prefix}-control-plane`);
    const postgres = controlPlane.spec.egress.find((rule: { ports: { port: number }[] }) =>
      rule.ports.some((item) => item.port === 5432),
    );
    assert.deepEqual(postgres.to, [{ ipBlock: { cidr: '10.2.0.0/16' } }]);
    assert.equal(ofKind(minimal, 'NetworkPolicy').length, 0);
  });
});

describe('rendered integrity monitor', () => {
  const monitored = ['interceptor', 'antivirus', 'antispam'];
  const controlPlaneEnv = container(full, 'control-plane', 'control-plane').env as {
    name: string;
    value?: string;
    valueFrom?: { fieldRef?: { fieldPath: string } };
  }[];
  const value = (name: string) => controlPlaneEnv.find((entry) => entry.name === name)?.value;

  test('reads its namespace from the downward API', () => {
    const namespace = controlPlaneEnv.find(
      (entry) => entry.name === 'MAILSHIELD_KUBERNETES_NAMESPACE',
    );
    assert.deepEqual(namespace?.valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } });
  });

  test('selects exactly the pods of each Deployment', () => {
    const deployments = ofKind(full, 'Deployment');
    for (const component of monitored) {
      const upper = component.toUpperCase();
      const selector = parseSelector(value(`MAILSHIELD_${upper}_POD_SELECTOR`) ?? '');
      const matching = deployments.filter((deployment) =>
        Object.entries(selector).every(
          ([key, label]) => deployment.spec.template.metadata.labels[key] === label,
        ),
      );
      assert.deepEqual(
        matching.map((deployment) => deployment.metadata.name),
        [`${prefix}-${component}`],
        `${component} selector`,
      );
      assert.equal(selector['app.kubernetes.io/instance'], 'mail', 'selector names the release');
      assert.equal(value(`MAILSHIELD_${upper}_DEPLOYMENT`), `${prefix}-${component}`);
    }
  });

  test('watches each component on its gRPC port', () => {
    const components = (value('MAILSHIELD_COMPONENTS') ?? '').split(',');
    assert.deepEqual(
      components,
      monitored.map((component) => {
        const port = container(full, component, component).ports.find(
          (item: { name: string }) => item.name === 'grpc',
        ).containerPort;
        return `${component}=${prefix}-${component}:${port}`;
      }),
    );
  });

  test('may reach every gRPC port through the NetworkPolicies', () => {
    const controlPlaneLabels = podSpecLabels(full, 'control-plane');
    const egress = find(full, 'NetworkPolicy', `${prefix}-control-plane`).spec.egress;
    for (const component of monitored) {
      const labels = podSpecLabels(full, component);
      const ingress = find(full, 'NetworkPolicy', `${prefix}-${component}`).spec.ingress;
      assert.ok(
        ingress.some((rule: PolicyRule) => allowsGrpc(rule, rule.from, controlPlaneLabels)),
        `${component} admits the control plane on grpc`,
      );
      assert.ok(
        egress.some((rule: PolicyRule) => allowsGrpc(rule, rule.to, labels)),
        `control plane may reach ${component} on grpc`,
      );
    }
  });
});

interface PolicyPeer {
  podSelector?: { matchLabels: Record<string, string> };
}

interface PolicyRule {
  ports: { port: string | number }[];
  from?: PolicyPeer[];
  to?: PolicyPeer[];
}

/** True when a NetworkPolicy rule allows the grpc port to or from pods with these labels. */
function allowsGrpc(
  rule: PolicyRule,
  peers: PolicyPeer[] | undefined,
  labels: Record<string, string>,
): boolean {
  if (!rule.ports.some((item) => item.port === 'grpc')) return false;
  return (peers ?? []).some((peer) =>
    Object.entries(peer.podSelector?.matchLabels ?? { none: '' }).every(
      ([key, label]) => labels[key] === label,
    ),
  );
}

/** Parses an equality-based label selector such as `a=b,c=d`. */
function parseSelector(text: string): Record<string, string> {
  return Object.fromEntries(text.split(',').map((pair) => pair.split('=') as [string, string]));
}

function podSpecLabels(manifests: Manifest[], component: string): Record<string, string> {
  return find(manifests, 'Deployment', `${prefix}-${component}`).spec.template.metadata.labels;
}

/** Reads the compiled JavaScript of a service, without its tests and benchmarks. */
function compiledSources(service: string): string {
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'test' && name !== 'bench') walk(path);
      } else if (name.endsWith('.js') && !name.endsWith('.test.js')) {
        parts.push(readFileSync(path, 'utf8'));
      }
    }
  };
  walk(join(repoRoot, 'services', service, 'dist'));
  return parts.join('\n');
}

{{/* Chart name, at most 63 characters. */}}
{{- define "mailshield.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name that every resource name starts with. */}}
{{- define "mailshield.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The four services: the key of their section in values.yaml, their name, and the ports their
config.ts defaults to, which the chart sets explicitly anyway.
*/}}
{{- define "mailshield.components" -}}
interceptor:
  key: interceptor
  grpcPort: 50051
  metricsPort: 9101
antivirus:
  key: antivirus
  grpcPort: 50052
  metricsPort: 9102
antispam:
  key: antispam
  grpcPort: 50053
  metricsPort: 9103
control-plane:
  key: controlPlane
  grpcPort: 50050
  metricsPort: 9100
{{- end }}

{{/* The components the control plane's integrity monitor watches, in MAILSHIELD_COMPONENTS order. */}}
{{- define "mailshield.monitoredComponents" -}}
- interceptor
- antivirus
- antispam
{{- end }}

{{/* Labels of every resource. */}}
{{- define "mailshield.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "mailshield.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mailshield
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of a service's resources; call with (dict "root" $ "component" NAME). */}}
{{- define "mailshield.componentLabels" -}}
{{ include "mailshield.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selector labels of a service's pods; call with (dict "root" $ "component" NAME). */}}
{{- define "mailshield.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mailshield.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Image of a service; call with (dict "root" $ "component" NAME). */}}
{{- define "mailshield.image" -}}
{{- $image := .root.Values.image }}
{{- $repository := printf "%s-%s" $image.repository .component }}
{{- if $image.registry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" $image.registry) $repository }}
{{- end }}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion $image.tag) }}
{{- end }}

{{/* Image of clamd and freshclam. */}}
{{- define "mailshield.clamavImage" -}}
{{- $image := .Values.antivirus.clamd.image }}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) }}
{{- end }}

{{/* gRPC address of the control plane's Service. */}}
{{- define "mailshield.controlPlaneAddress" -}}
{{ include "mailshield.fullname" . }}-control-plane:50050
{{- end }}

{{/* Name of the Secret with the PostgreSQL URL. */}}
{{- define "mailshield.databaseSecret" -}}
{{- default (printf "%s-database" (include "mailshield.fullname" .)) .Values.postgresql.existingSecret }}
{{- end }}

{{/* Name of the Secret with the Backup key. */}}
{{- define "mailshield.backupKeySecret" -}}
{{- default (printf "%s-backup-key" (include "mailshield.fullname" .)) .Values.backupKey.existingSecret }}
{{- end }}

{{/* Security context of every container: non-root, read-only, no capabilities. */}}
{{- define "mailshield.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Startup, liveness and readiness probes of a service, all native gRPC against grpc.health.v1's
overall status; call with (dict "port" PORT "probes" VALUES).
*/}}
{{- define "mailshield.grpcProbes" -}}
startupProbe:
  grpc:
    port: {{ .port }}
  periodSeconds: 5
  timeoutSeconds: {{ .probes.timeoutSeconds }}
  failureThreshold: {{ .probes.startupFailureThreshold }}
livenessProbe:
  grpc:
    port: {{ .port }}
  periodSeconds: {{ .probes.periodSeconds }}
  timeoutSeconds: {{ .probes.timeoutSeconds }}
  failureThreshold: {{ .probes.livenessFailureThreshold }}
readinessProbe:
  grpc:
    port: {{ .port }}
  periodSeconds: {{ .probes.periodSeconds }}
  timeoutSeconds: {{ .probes.timeoutSeconds }}
  failureThreshold: {{ .probes.readinessFailureThreshold }}
{{- end }}

{{/* Checks the values that the services cannot run without. */}}
{{- define "mailshield.validate" -}}
{{- if not .Values.kafka.brokers }}
{{- fail "kafka.brokers is required: set it to the bootstrap brokers of an existing Kafka, such as kafka-bootstrap.kafka:9092" }}
{{- end }}
{{- if and (not .Values.postgresql.url) (not .Values.postgresql.existingSecret) }}
{{- fail "PostgreSQL is required: set postgresql.url or postgresql.existingSecret" }}
{{- end }}
{{- if and (not .Values.backupKey.value) (not .Values.backupKey.existingSecret) }}
{{- fail "the Backup key is required: set backupKey.existingSecret, or backupKey.value to the output of: openssl rand -base64 32" }}
{{- end }}
{{- if not .Values.interceptor.nextHop }}
{{- fail "interceptor.nextHop is required: set it to host:port of the mail server that clean mail goes to" }}
{{- end }}
{{- $smtp := .Values.interceptor.smtpService }}
{{- if and (not $smtp.proxyProtocol) (or $smtp.proxyProtocolProvider $smtp.proxyPeers) }}
{{- fail "interceptor.smtpService.proxyProtocolProvider and proxyPeers need interceptor.smtpService.proxyProtocol: true" }}
{{- end }}
{{- if gt (mul 2 (int64 .Values.controlPlane.integrity.leaseRenewSeconds)) (int64 .Values.controlPlane.integrity.leaseDurationSeconds) }}
{{- fail "controlPlane.integrity.leaseRenewSeconds must be at most half of leaseDurationSeconds, so one late renewal does not cost the leader its Lease" }}
{{- end }}
{{- range .Values.policy.trustedNetworks }}
{{- $prefix := . | splitList "/" | last | atoi }}
{{- $minimum := ternary 16 8 (contains ":" .) }}
{{- if not (contains "/" .) }}
{{- fail (printf "policy.trustedNetworks: %q must be in CIDR notation, such as 192.0.2.0/24 or 2001:db8::/48" .) }}
{{- end }}
{{- if lt $prefix $minimum }}
{{- fail (printf "policy.trustedNetworks: %q must be a CIDR block no wider than /%d, because a wider one holds much of the internet and would make the gateway an open relay" . $minimum) }}
{{- end }}
{{- end }}
{{- if gt (int64 .Values.antivirus.scanStore.maxBytes) (include "mailshield.bytes" .Values.antivirus.scanStore.sizeLimit | int64) }}
{{- fail "antivirus.scanStore.maxBytes is larger than antivirus.scanStore.sizeLimit: lower maxBytes or raise sizeLimit" }}
{{- end }}
{{- end }}

{{/* Service annotations that turn PROXY protocol v1 on at the chosen provider's load balancer. */}}
{{- define "mailshield.proxyProtocolAnnotations" -}}
{{- $provider := .Values.interceptor.smtpService.proxyProtocolProvider }}
{{- if eq $provider "aws-classic" }}
service.beta.kubernetes.io/aws-load-balancer-proxy-protocol: "*"
{{- else if eq $provider "linode" }}
service.beta.kubernetes.io/linode-loadbalancer-default-proxy-protocol: v1
{{- end }}
{{- end }}

{{/* Bytes of a Kubernetes quantity with a binary suffix (Ki, Mi, Gi) or none. */}}
{{- define "mailshield.bytes" -}}
{{- $quantity := toString . }}
{{- if hasSuffix "Gi" $quantity }}
{{- mul (trimSuffix "Gi" $quantity | int64) 1073741824 }}
{{- else if hasSuffix "Mi" $quantity }}
{{- mul (trimSuffix "Mi" $quantity | int64) 1048576 }}
{{- else if hasSuffix "Ki" $quantity }}
{{- mul (trimSuffix "Ki" $quantity | int64) 1024 }}
{{- else }}
{{- $quantity | int64 }}
{{- end }}
{{- end }}

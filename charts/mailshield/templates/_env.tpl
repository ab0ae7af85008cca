{{/* Environment of every service; call with (dict "root" $ "component" NAME "spec" SPEC). */}}
{{- define "mailshield.commonEnv" -}}
{{- $values := .root.Values -}}
- name: MAILSHIELD_INSTANCE
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: MAILSHIELD_BIND_HOST
  value: 0.0.0.0
- name: MAILSHIELD_STATE_DIR
  value: /var/lib/mailshield
- name: MAILSHIELD_LOG_LEVEL
  value: {{ $values.logLevel | quote }}
- name: MAILSHIELD_CONTROL_PLANE_ADDRESS
  value: {{ include "mailshield.controlPlaneAddress" .root | quote }}
- name: MAILSHIELD_KAFKA_BROKERS
  value: {{ $values.kafka.brokers | quote }}
- name: MAILSHIELD_KAFKA_PARTITIONS
  value: {{ $values.kafka.partitions | quote }}
- name: MAILSHIELD_MAX_RECORD_BYTES
  value: {{ $values.kafka.maxRecordBytes | int64 | quote }}
- name: {{ printf "MAILSHIELD_%s_GRPC_PORT" (.component | upper | replace "-" "_") }}
  value: {{ .spec.grpcPort | quote }}
- name: {{ printf "MAILSHIELD_%s_METRICS_PORT" (.component | upper | replace "-" "_") }}
  value: {{ .spec.metricsPort | quote }}
{{- with $values.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- end }}

{{- define "mailshield.env.interceptor" -}}
{{- $values := .Values.interceptor -}}
- name: MAILSHIELD_SMTP_HOST
  value: 0.0.0.0
- name: MAILSHIELD_SMTP_PORT
  value: "2525"
- name: MAILSHIELD_SMTP_HOSTNAME
  {{- if $values.smtpHostname }}
  value: {{ $values.smtpHostname | quote }}
  {{- else }}
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
  {{- end }}
- name: MAILSHIELD_SMTP_DRAIN_SECONDS
  value: {{ $values.drainSeconds | quote }}
- name: MAILSHIELD_NEXT_HOP
  value: {{ $values.nextHop | quote }}
- name: MAILSHIELD_NEXT_HOP_TLS_VERIFY
  value: {{ $values.nextHopTlsVerify | quote }}
- name: MAILSHIELD_NEXT_HOP_RETRY_SECONDS
  value: {{ $values.nextHopRetrySeconds | quote }}
- name: MAILSHIELD_DELIVERY_RETRY_DELAY_SECONDS
  value: {{ $values.deliveryRetryDelaySeconds | quote }}
- name: MAILSHIELD_DELIVERY_MAX_AGE_SECONDS
  value: {{ $values.deliveryMaxAgeSeconds | int64 | quote }}
- name: MAILSHIELD_SMTP_PROXY_PROTOCOL
  value: {{ $values.smtpService.proxyProtocol | quote }}
{{- with $values.smtpService.proxyPeers }}
- name: MAILSHIELD_SMTP_PROXY_PEERS
  value: {{ join "," . | quote }}
{{- end }}
- name: MAILSHIELD_CLUSTER_NETWORKS
  value: {{ join "," .Values.clusterNetworks | quote }}
{{- if $values.tlsSecret }}
- name: MAILSHIELD_TLS_CERT_FILE
  value: /etc/mailshield/tls/tls.crt
- name: MAILSHIELD_TLS_KEY_FILE
  value: /etc/mailshield/tls/tls.key
{{- end }}
{{- end }}

{{- define "mailshield.env.antivirus" -}}
{{- $values := .Values.antivirus -}}
- name: MAILSHIELD_CLAMD_ADDRESS
  value: 127.0.0.1:3310
# clamd runs in the same pod and reads the objects from the shared RAM store by path.
- name: MAILSHIELD_CLAMD_SHARES_STORE
  value: "true"
- name: MAILSHIELD_ANTIVIRUS_STORE_DIR
  value: /scan-store
- name: MAILSHIELD_ANTIVIRUS_STORE_MAX_BYTES
  value: {{ $values.scanStore.maxBytes | int64 | quote }}
- name: MAILSHIELD_ANTIVIRUS_CONCURRENCY
  value: {{ $values.concurrency | quote }}
- name: MAILSHIELD_ANTIVIRUS_MAX_SCANS
  value: {{ $values.maxScans | quote }}
- name: MAILSHIELD_ANTIVIRUS_CACHE_ENTRIES
  value: {{ $values.cacheEntries | int64 | quote }}
- name: MAILSHIELD_ANTIVIRUS_SIGNATURE_MAX_AGE_HOURS
  value: {{ $values.signatureMaxAgeHours | quote }}
- name: MAILSHIELD_ANTIVIRUS_HEALTH_INTERVAL_SECONDS
  value: {{ $values.healthIntervalSeconds | quote }}
{{- end }}

{{- define "mailshield.env.antispam" -}}
{{- $values := .Values.antispam -}}
- name: MAILSHIELD_ANTISPAM_CONCURRENCY
  value: {{ $values.concurrency | quote }}
- name: MAILSHIELD_ANTISPAM_SCAN_TIMEOUT_SECONDS
  value: {{ $values.scanTimeoutSeconds | quote }}
{{- with $values.dnsServers }}
- name: MAILSHIELD_DNS_SERVERS
  value: {{ join "," . | quote }}
{{- end }}
{{- if ne (toString $values.authentication) "" }}
- name: MAILSHIELD_ANTISPAM_AUTHENTICATION
  value: {{ $values.authentication | quote }}
{{- end }}
{{- end }}

{{- define "mailshield.env.control-plane" -}}
{{- $values := .Values.controlPlane -}}
- name: MAILSHIELD_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "mailshield.databaseSecret" . }}
      key: {{ .Values.postgresql.existingSecretKey }}
- name: MAILSHIELD_DATABASE_SCHEMA
  value: {{ .Values.postgresql.schema | quote }}
- name: MAILSHIELD_BACKUP_KEY_FILE
  value: /etc/mailshield/backup-key/backup.key
- name: MAILSHIELD_RELAY_DOMAINS
  value: {{ join "," .Values.policy.relayDomains | quote }}
- name: MAILSHIELD_TRUSTED_NETWORKS
  value: {{ join "," .Values.policy.trustedNetworks | quote }}
- name: MAILSHIELD_QUEUE_MODE
  value: {{ .Values.policy.queueMode | quote }}
{{- $fullname := include "mailshield.fullname" . }}
{{- $components := list }}
{{- $specs := include "mailshield.components" . | fromYaml }}
{{- range $component := include "mailshield.monitoredComponents" . | fromYamlArray }}
{{- $components = append $components (printf "%s=%s-%s:%v" $component $fullname $component (index $specs $component).grpcPort) }}
{{- end }}
# The monitor watches each pod of a component at the pod's address and this port.
- name: MAILSHIELD_COMPONENTS
  value: {{ join "," $components | quote }}
- name: MAILSHIELD_HEALTH_INTERVAL_SECONDS
  value: {{ $values.healthIntervalSeconds | quote }}
- name: MAILSHIELD_HEALTH_TIMEOUT_SECONDS
  value: {{ $values.healthTimeoutSeconds | quote }}
- name: MAILSHIELD_POLICY_POLL_SECONDS
  value: {{ $values.policyPollSeconds | quote }}
{{ include "mailshield.env.integrity" . }}
- name: MAILSHIELD_SELF_TEST_INTERVAL_SECONDS
  value: {{ $values.selfTest.intervalSeconds | quote }}
- name: MAILSHIELD_SELF_TEST_DEADLINE_SECONDS
  value: {{ $values.selfTest.deadlineSeconds | quote }}
- name: MAILSHIELD_BACKUP_MAX_AGE_DAYS
  value: {{ $values.backupRetention.maxAgeDays | quote }}
- name: MAILSHIELD_BACKUP_MAX_TOTAL_BYTES
  value: {{ $values.backupRetention.maxTotalBytes | int64 | quote }}
- name: MAILSHIELD_BACKUP_MAX_COUNT
  value: {{ $values.backupRetention.maxCount | int64 | quote }}
- name: MAILSHIELD_BACKUP_RETENTION_INTERVAL_SECONDS
  value: {{ $values.backupRetention.intervalSeconds | quote }}
{{- end }}

{{/*
The integrity monitor's view of the release: its namespace from the downward API, and each
component's pods and Deployment by the names and labels this chart gives them, so two
releases in one namespace never restart each other's pods.
*/}}
{{- define "mailshield.env.integrity" -}}
{{- $root := . }}
{{- $integrity := .Values.controlPlane.integrity -}}
- name: MAILSHIELD_KUBERNETES_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- range $component := include "mailshield.monitoredComponents" . | fromYamlArray }}
{{- $prefix := printf "MAILSHIELD_%s" ($component | upper | replace "-" "_") }}
{{- $labels := include "mailshield.selectorLabels" (dict "root" $root "component" $component) | fromYaml }}
{{- $selector := list }}
{{- range $key := keys $labels | sortAlpha }}
{{- $selector = append $selector (printf "%s=%s" $key (index $labels $key)) }}
{{- end }}
- name: {{ $prefix }}_POD_SELECTOR
  value: {{ join "," $selector | quote }}
- name: {{ $prefix }}_DEPLOYMENT
  value: {{ printf "%s-%s" (include "mailshield.fullname" $root) $component | quote }}
{{- end }}
- name: MAILSHIELD_RESTART_MODE
  value: {{ $integrity.restartMode | quote }}
- name: MAILSHIELD_RESTART_AFTER_SECONDS
  value: {{ $integrity.restartAfterSeconds | quote }}
- name: MAILSHIELD_RESTART_BACKOFF_SECONDS
  value: {{ $integrity.restartBackoffSeconds | quote }}
- name: MAILSHIELD_RESTART_BACKOFF_MAX_SECONDS
  value: {{ $integrity.restartBackoffMaxSeconds | quote }}
- name: MAILSHIELD_RESTART_MAX_PER_WINDOW
  value: {{ $integrity.restartMaxPerWindow | quote }}
- name: MAILSHIELD_RESTART_WINDOW_SECONDS
  value: {{ $integrity.restartWindowSeconds | quote }}
- name: MAILSHIELD_LEASE_NAME
  value: {{ printf "%s-control-plane" (include "mailshield.fullname" .) | quote }}
- name: MAILSHIELD_LEASE_DURATION_SECONDS
  value: {{ $integrity.leaseDurationSeconds | quote }}
- name: MAILSHIELD_LEASE_RENEW_SECONDS
  value: {{ $integrity.leaseRenewSeconds | quote }}
{{- end }}

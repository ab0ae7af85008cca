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
- name: MAILSHIELD_COMPONENTS
  value: {{ printf "interceptor=%[1]s-interceptor:50051,antivirus=%[1]s-antivirus:50052,antispam=%[1]s-antispam:50053" (include "mailshield.fullname" .) | quote }}
- name: MAILSHIELD_HEALTH_INTERVAL_SECONDS
  value: {{ $values.healthIntervalSeconds | quote }}
- name: MAILSHIELD_HEALTH_TIMEOUT_SECONDS
  value: {{ $values.healthTimeoutSeconds | quote }}
- name: MAILSHIELD_POLICY_POLL_SECONDS
  value: {{ $values.policyPollSeconds | quote }}
{{- end }}

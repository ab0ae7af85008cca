{{/*
Init containers of the antivirus pod. freshclam fetches the signatures once, because clamd
does not start without any. clamd and the freshclam daemon are native sidecars
(restartPolicy Always): the antivirus starts only once clamd's startup probe passes, and they
stop after the antivirus, so the scans in flight during a drain still reach clamd.
*/}}
{{- define "mailshield.clamavInitContainers" -}}
{{- $clamd := .Values.antivirus.clamd -}}
{{- $freshclam := .Values.antivirus.freshclam -}}
initContainers:
  {{- if $freshclam.enabled }}
  - name: freshclam-init
    image: {{ include "mailshield.clamavImage" . }}
    imagePullPolicy: {{ $clamd.image.pullPolicy }}
    command: ["freshclam", "--config-file=/etc/clamav/freshclam.conf", "--stdout"]
    securityContext:
      {{- include "mailshield.containerSecurityContext" . | nindent 6 }}
    resources:
      {{- toYaml $freshclam.resources | nindent 6 }}
    volumeMounts:
      {{- include "mailshield.clamavMounts" . | nindent 6 }}
  {{- end }}
  - name: clamd
    image: {{ include "mailshield.clamavImage" . }}
    imagePullPolicy: {{ $clamd.image.pullPolicy }}
    restartPolicy: Always
    command: ["clamd", "--config-file=/etc/clamav/clamd.conf"]
    securityContext:
      {{- include "mailshield.containerSecurityContext" . | nindent 6 }}
    # clamd opens its socket only after loading the signatures.
    startupProbe:
      tcpSocket:
        port: 3310
      periodSeconds: 10
      failureThreshold: {{ $clamd.startupFailureThreshold }}
    livenessProbe:
      tcpSocket:
        port: 3310
      periodSeconds: 20
      failureThreshold: 6
    resources:
      {{- toYaml $clamd.resources | nindent 6 }}
    volumeMounts:
      {{- include "mailshield.clamavMounts" . | nindent 6 }}
      - name: scan-store
        mountPath: /scan-store
        readOnly: true
  {{- if $freshclam.enabled }}
  - name: freshclam
    image: {{ include "mailshield.clamavImage" . }}
    imagePullPolicy: {{ $clamd.image.pullPolicy }}
    restartPolicy: Always
    command: ["freshclam", "--config-file=/etc/clamav/freshclam.conf", "--daemon", "--stdout"]
    securityContext:
      {{- include "mailshield.containerSecurityContext" . | nindent 6 }}
    resources:
      {{- toYaml $freshclam.resources | nindent 6 }}
    volumeMounts:
      {{- include "mailshield.clamavMounts" . | nindent 6 }}
  {{- end }}
{{- end }}

{{/* Mounts that clamd and freshclam share. */}}
{{- define "mailshield.clamavMounts" -}}
- name: clamav-config
  mountPath: /etc/clamav
  readOnly: true
{{- if .Values.antivirus.freshclam.enabled }}
- name: signatures
  mountPath: /var/lib/clamav
{{- end }}
- name: clamav-tmp
  mountPath: /tmp
{{- end }}

{{/* Volumes of the antivirus pod besides state and tmp. */}}
{{- define "mailshield.clamavVolumes" -}}
# Objects being scanned, in RAM: the antivirus writes them and clamd reads them by path.
- name: scan-store
  emptyDir:
    medium: Memory
    sizeLimit: {{ .Values.antivirus.scanStore.sizeLimit }}
{{- if .Values.antivirus.freshclam.enabled }}
# Filled by freshclam; without freshclam clamd uses the signatures of its image.
- name: signatures
  emptyDir: {}
{{- end }}
- name: clamav-tmp
  emptyDir: {}
- name: clamav-config
  configMap:
    name: {{ include "mailshield.fullname" . }}-clamav
{{- end }}

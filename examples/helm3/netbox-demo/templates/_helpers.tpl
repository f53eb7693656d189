{{/* Object base name: the release name when it already says netbox (as the real chart does), else <release>-netbox. */}}
{{- define "netbox.fullname" -}}
{{- if contains "netbox" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-netbox" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "netbox.labels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/name: netbox
app.kubernetes.io/version: {{ .Chart.AppVersion }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "netbox.selectorLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/name: netbox
{{- end -}}

{{- define "netbox.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The volume mounts every NetBox container has: settings, loader, secrets, extraConfig. */}}
{{- define "netbox.configMounts" -}}
- name: config
  mountPath: /etc/netbox/config/configuration.py
  subPath: configuration.py
  readOnly: true
- name: config
  mountPath: /run/config/netbox
  readOnly: true
- name: secrets
  mountPath: /run/secrets/netbox
  readOnly: true
{{- range $i, $e := .Values.extraConfig }}
- name: extra-config-{{ $i }}
  mountPath: /run/config/extra/{{ $i }}
  readOnly: true
{{- end }}
- name: netbox-tmp
  mountPath: /tmp
{{- end -}}

{{- define "netbox.configVolumes" -}}
- name: config
  configMap:
    name: {{ include "netbox.fullname" . }}
- name: secrets
  projected:
    sources:
    - secret:
        name: {{ include "netbox.fullname" . }}-config
        items:
        - key: secret_key
          path: secret_key
{{- range $i, $e := .Values.extraConfig }}
- name: extra-config-{{ $i }}
  {{- if $e.values }}
  configMap:
    name: {{ include "netbox.fullname" $ }}
    items:
    - key: extra-{{ $i }}.yaml
      path: extra-{{ $i }}.yaml
  {{- else if $e.configMap }}
  configMap:
    {{- toYaml $e.configMap | nindent 4 }}
  {{- else if $e.secret }}
  secret:
    {{- toYaml $e.secret | nindent 4 }}
  {{- end }}
{{- end }}
- name: netbox-tmp
  emptyDir:
    medium: Memory
{{- end -}}

{{- define "netbox.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}

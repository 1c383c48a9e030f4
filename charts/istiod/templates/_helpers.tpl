{{/* `-<revision>` for a named revision, nothing for the default one: the suffix of every per-revision name. */}}
{{- define "istiod.revisionSuffix" -}}
{{- if .Values.revision }}-{{ .Values.revision }}{{- end }}
{{- end }}

{{/* The revision as labels carry it: `default` for the default revision. */}}
{{- define "istiod.revisionLabel" -}}
{{ .Values.revision | default "default" }}
{{- end }}

{{/* istiod's name: its Deployment, Service and ServiceAccount. */}}
{{- define "istiod.name" -}}
istiod{{ include "istiod.revisionSuffix" . }}
{{- end }}

{{/* <hub>/<image>:<tag>, or the image as given when it already names a repository (has a `/`). */}}
{{- define "istiod.image" -}}
{{- $image := .Values.pilot.image }}
{{- if contains "/" $image }}
{{- $image }}
{{- else }}
{{- .Values.pilot.hub | default .Values.global.hub }}/{{ $image }}:{{ .Values.pilot.tag | default .Values.global.tag }}
{{- end }}
{{- end }}

{{/* Labels on every object of the release. */}}
{{- define "istiod.labels" -}}
app.kubernetes.io/name: istiod
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: istio
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
istio.io/rev: {{ include "istiod.revisionLabel" . }}
release: {{ .Release.Name }}
{{- end }}

{{/*
Where the admission webhooks reach istiod: the URL of an istiod outside the cluster when one is given,
else the istiod Service's port 443 (→ 15017). Called with (list $ URL PATH CABUNDLE).
*/}}
{{- define "istiod.webhookClientConfig" -}}
{{- $root := index . 0 }}
{{- $url := index . 1 }}
{{- $caBundle := index . 3 }}
{{- if $url }}
url: {{ $url | quote }}
{{- else }}
service:
  name: {{ include "istiod.name" $root }}
  namespace: {{ $root.Release.Namespace }}
  path: {{ index . 2 | quote }}
  port: 443
{{- end }}
{{- if $caBundle }}
caBundle: {{ $caBundle | quote }}
{{- end }}
{{- end }}

{{/* What every injection webhook entry shares: pod CREATE, fail closed, no side effects. */}}
{{- define "istiod.injectionWebhookCommon" }}
    sideEffects: None
    rules:
      - operations: ["CREATE"]
        apiGroups: [""]
        apiVersions: ["v1"]
        resources: ["pods"]
    failurePolicy: Fail
    reinvocationPolicy: {{ .Values.sidecarInjectorWebhook.reinvocationPolicy }}
    admissionReviewVersions: ["v1"]
{{- end }}

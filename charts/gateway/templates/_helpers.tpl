{{/* The gateway's name: .Values.name, else the release's. */}}
{{- define "gateway.name" -}}
{{ .Values.name | default .Release.Name }}
{{- end }}

{{/* The selector labels Istio's gateway chart uses: `istio: ingressgateway` for istio-ingressgateway. */}}
{{- define "gateway.selectorLabels" -}}
app: {{ include "gateway.name" . }}
istio: {{ include "gateway.name" . | trimPrefix "istio-" }}
{{- end }}

{{- define "gateway.serviceAccountName" -}}
{{ .Values.serviceAccount.name | default (include "gateway.name" .) }}
{{- end }}

{{/* Labels on every object of the release. */}}
{{- define "gateway.labels" -}}
{{ include "gateway.selectorLabels" . }}
app.kubernetes.io/name: {{ include "gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: istio
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- with .Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
mesh.mergeInto (list DST SRC): sets every value of SRC into DST, maps merged key by key. Written out
because sprig's mergeOverwrite skips the values Go calls empty, so `--set x=false` or `--set x=""` over
a default of true or "a" would be silently ignored.
*/}}
{{- define "mesh.mergeInto" -}}
{{- $dst := index . 0 }}
{{- range $key, $value := index . 1 }}
{{- if and (kindIs "map" $value) (kindIs "map" (get $dst $key)) }}
{{- $_ := include "mesh.mergeInto" (list (get $dst $key) $value) }}
{{- else }}
{{- $_ := set $dst $key $value }}
{{- end }}
{{- end }}
{{- end }}

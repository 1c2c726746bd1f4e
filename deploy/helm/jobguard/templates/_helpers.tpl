{{/* Labels of every object, as deploy/base's kustomization sets them. */}}
{{- define "jobguard.partOf" -}}
app.kubernetes.io/part-of: jobguard
{{- end }}

{{/* The webhook's labels and selector. */}}
{{- define "jobguard.webhookLabels" -}}
app.kubernetes.io/name: jobguard
app.kubernetes.io/component: webhook
{{- end }}

{{/* Whether the background audit runs. */}}
{{- define "jobguard.auditOn" -}}
{{- if not (has (toString .Values.audit.interval) (list "0" "0s" "")) }}true{{ end }}
{{- end }}

{{/* The namespaces no webhook is called for. */}}
{{- define "jobguard.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values: {{ concat (list "kube-system" .Release.Namespace) .Values.webhook.excludedNamespaces | toJson }}
  - key: jobguard.io/webhook
    operator: NotIn
    values: ["disabled"]
{{- end }}

{{/* The service the webhook configurations call. */}}
{{- define "jobguard.clientService" -}}
name: jobguard-webhook
namespace: {{ .Release.Namespace }}
{{- end }}

{{- define "jobs.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "jobs.env" -}}
- name: PGHOST
  value: {{ .Values.database.host }}
- name: PGPASSWORD
  value: {{ .Values.database.password }}
{{- end -}}

{{/* Ends with -}} on the key's line: a line no marker can follow. */}}
{{- define "jobs.deadline" -}}
startingDeadlineSeconds: {{ .Values.cleanup.deadline -}}
{{- end -}}

{{- define "jobs.history" -}}
successfulJobsHistoryLimit: 3
failedJobsHistoryLimit: 1
{{- end -}}

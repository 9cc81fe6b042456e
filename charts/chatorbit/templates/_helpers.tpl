{{/* Names */}}
{{- define "chatorbit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "chatorbit.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "chatorbit.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "chat") */}}
{{- define "chatorbit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "chatorbit.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every label of one component's objects: (dict "ctx" $ "component" "chat") */}}
{{- define "chatorbit.labels" -}}
{{ include "chatorbit.selectorLabels" . }}
app.kubernetes.io/part-of: chatorbit
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ include "chatorbit.chart" .ctx }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of release-wide objects (Secrets, ConfigMaps, the ServiceAccount). */}}
{{- define "chatorbit.commonLabels" -}}
{{ include "chatorbit.labels" (dict "ctx" . "component" "chatorbit") }}
{{- end -}}

{{- define "chatorbit.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "chatorbit.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create=false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Object names */}}
{{- define "chatorbit.componentName" -}}
{{- printf "%s-%s" (include "chatorbit.fullname" .ctx) .component -}}
{{- end -}}
{{- define "chatorbit.redis.fullname" -}}{{ include "chatorbit.fullname" . }}-redis{{- end -}}
{{- define "chatorbit.redis.headless" -}}{{ include "chatorbit.fullname" . }}-redis-headless{{- end -}}
{{- define "chatorbit.mongodb.fullname" -}}{{ include "chatorbit.fullname" . }}-mongodb{{- end -}}
{{- define "chatorbit.mongodb.headless" -}}{{ include "chatorbit.fullname" . }}-mongodb-headless{{- end -}}
{{- define "chatorbit.jwtSecretName" -}}
{{- default (printf "%s-jwt" (include "chatorbit.fullname" .)) .Values.auth.jwt.existingSecret -}}
{{- end -}}
{{- define "chatorbit.adminSecretName" -}}
{{- default (printf "%s-admin" (include "chatorbit.fullname" .)) .Values.auth.admin.existingSecret -}}
{{- end -}}
{{- define "chatorbit.redisSecretName" -}}
{{- default (printf "%s-redis" (include "chatorbit.fullname" .)) .Values.redis.existingSecret -}}
{{- end -}}
{{- define "chatorbit.mongodbSecretName" -}}
{{- default (printf "%s-mongodb" (include "chatorbit.fullname" .)) .Values.mongodb.existingSecret -}}
{{- end -}}
{{/* The Secret with the services' connection strings (MONGO_URL, REDIS_URL, passwords). */}}
{{- define "chatorbit.storageSecretName" -}}{{ include "chatorbit.fullname" . }}-storage{{- end -}}

{{/* Image of a service: (dict "ctx" $ "component" "chat") */}}
{{- define "chatorbit.image" -}}
{{- $values := index .ctx.Values .component -}}
{{- $repository := default (printf "%s/%s" .ctx.Values.image.repository .component) $values.image.repository -}}
{{- $tag := default (default .ctx.Chart.AppVersion .ctx.Values.image.tag) $values.image.tag -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}

{{/* Stable DNS name of one StatefulSet member: (dict "ctx" $ "sts" name "headless" name "ordinal" n) */}}
{{- define "chatorbit.memberHost" -}}
{{- printf "%s-%d.%s.%s.svc.%s" .sts (int .ordinal) .headless .ctx.Release.Namespace .ctx.Values.clusterDomain -}}
{{- end -}}

{{/* REDIS_SENTINELS of the in-chart Sentinel group. */}}
{{- define "chatorbit.redis.sentinels" -}}
{{- $hosts := list -}}
{{- range $i := until (int .Values.redis.replicas) -}}
{{- $hosts = append $hosts (printf "%s:26379" (include "chatorbit.memberHost" (dict "ctx" $ "sts" (include "chatorbit.redis.fullname" $) "headless" (include "chatorbit.redis.headless" $) "ordinal" $i))) -}}
{{- end -}}
{{- join "," $hosts -}}
{{- end -}}

{{- define "chatorbit.redis.quorum" -}}
{{- if gt (int .Values.redis.quorum) 0 -}}{{ .Values.redis.quorum }}{{- else -}}{{ add (div (int .Values.redis.replicas) 2) 1 }}{{- end -}}
{{- end -}}

{{/* host:27017,... of the in-chart replica set. */}}
{{- define "chatorbit.mongodb.hosts" -}}
{{- $hosts := list -}}
{{- range $i := until (int .Values.mongodb.replicas) -}}
{{- $hosts = append $hosts (printf "%s:27017" (include "chatorbit.memberHost" (dict "ctx" $ "sts" (include "chatorbit.mongodb.fullname" $) "headless" (include "chatorbit.mongodb.headless" $) "ordinal" $i))) -}}
{{- end -}}
{{- join "," $hosts -}}
{{- end -}}

{{/*
A generated secret value, kept across upgrades: the value already stored in the cluster (lookup),
else a new one. (dict "existing" <lookup result> "key" "redis-password" "value" <new value>)
Returns the base64-encoded value.
*/}}
{{- define "chatorbit.keptSecretValue" -}}
{{- $data := dig "data" dict .existing -}}
{{- if hasKey $data .key -}}
{{- index $data .key -}}
{{- else -}}
{{- .value | b64enc -}}
{{- end -}}
{{- end -}}

{{/* Pod topology spread: (dict "ctx" $ "component" "chat" "values" <component values>) */}}
{{- define "chatorbit.topologySpread" -}}
{{- if .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml .values.topologySpreadConstraints | nindent 2 }}
{{- else if .ctx.Values.topologySpread.enabled }}
topologySpreadConstraints:
  {{- range .ctx.Values.topologySpread.topologyKeys }}
  - maxSkew: {{ $.ctx.Values.topologySpread.maxSkew }}
    topologyKey: {{ . }}
    whenUnsatisfiable: {{ $.ctx.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "chatorbit.selectorLabels" (dict "ctx" $.ctx "component" $.component) | nindent 8 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Scheduling fields shared by every pod: (dict "ctx" $ "component" "chat" "values" <component values>) */}}
{{- define "chatorbit.scheduling" -}}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- include "chatorbit.topologySpread" . }}
{{- end -}}

{{- define "chatorbit.containerSecurityContext" -}}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
{{- end -}}

{{/* helm.sh/resource-policy: keep on the generated credentials when keepSecretsOnUninstall is set. */}}
{{- define "chatorbit.keepPolicy" -}}
{{- if .Values.keepSecretsOnUninstall -}}
helm.sh/resource-policy: keep
{{- end -}}
{{- end -}}

{{/* Checks that cannot be expressed in values.schema.json. */}}
{{- define "chatorbit.validate" -}}
{{- range $component := list "gateway" "auth" "user" "chat" -}}
{{- $v := index $.Values $component -}}
{{- if le (int $v.terminationGracePeriodSeconds) (add $v.preStopSleepSeconds $v.shutdownTimeoutSeconds | int) -}}
{{- fail (printf "%s.terminationGracePeriodSeconds (%d) must be greater than %s.preStopSleepSeconds + %s.shutdownTimeoutSeconds (%d): the pod would be killed before it has shut down" $component (int $v.terminationGracePeriodSeconds) $component $component (add $v.preStopSleepSeconds $v.shutdownTimeoutSeconds | int)) -}}
{{- end -}}
{{- end -}}
{{- if not .Values.redis.enabled -}}
{{- $r := .Values.externalRedis -}}
{{- $urls := 0 -}}
{{- if or $r.url $r.existingSecret }}{{ $urls = 1 }}{{ end -}}
{{- if and $urls $r.sentinels -}}
{{- fail "externalRedis: set either url/existingSecret (REDIS_URL) or sentinels (REDIS_SENTINELS), not both" -}}
{{- end -}}
{{- if and (not $urls) (not $r.sentinels) -}}
{{- fail "redis.enabled=false needs externalRedis.url, externalRedis.existingSecret or externalRedis.sentinels: the services share rooms and bans through Redis" -}}
{{- end -}}
{{- if and $r.url $r.existingSecret -}}
{{- fail "externalRedis: set url or existingSecret, not both" -}}
{{- end -}}
{{- end -}}
{{- if not .Values.mongodb.enabled -}}
{{- $m := .Values.externalMongodb -}}
{{- if and (not $m.url) (not $m.existingSecret) -}}
{{- fail "mongodb.enabled=false needs externalMongodb.url or externalMongodb.existingSecret: accounts and messages are kept in MongoDB" -}}
{{- end -}}
{{- if and $m.url $m.existingSecret -}}
{{- fail "externalMongodb: set url or existingSecret, not both" -}}
{{- end -}}
{{- end -}}
{{- if and .Values.redis.enabled (gt (int .Values.common.redisReplicaAcks) (sub (int .Values.redis.replicas) 1 | int)) -}}
{{- fail (printf "common.redisReplicaAcks (%d) cannot exceed the replicas of the master (redis.replicas - 1 = %d): every send would wait for acknowledgements that never come" (int .Values.common.redisReplicaAcks) (sub (int .Values.redis.replicas) 1 | int)) -}}
{{- end -}}
{{- if and .Values.monitoring.serviceMonitor.enabled .Values.monitoring.podMonitor.enabled -}}
{{- fail "monitoring.serviceMonitor.enabled and monitoring.podMonitor.enabled: choose one, or Prometheus scrapes every pod twice (and the alerts count everything twice)" -}}
{{- end -}}
{{- if .Values.tracing.enabled -}}
{{- $names := list -}}
{{- $chartEnv := include "chatorbit.tracingChartEnv" . | fromJsonArray -}}
{{- range .Values.tracing.extraEnv -}}
{{- if has .name $chartEnv -}}
{{- fail (printf "tracing.extraEnv: %s is set by the chart (tracing.otlpEndpoint, protocol, sampler, samplerRatio, resourceAttributes; OTEL_SERVICE_NAME per service)" .name) -}}
{{- end -}}
{{- if has .name $names -}}
{{- fail (printf "tracing.extraEnv: %s is listed twice" .name) -}}
{{- end -}}
{{- $names = append $names .name -}}
{{- end -}}
{{- if not (or .Values.tracing.otlpEndpoint (has "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" $names)) -}}
{{- fail "tracing.enabled=true needs tracing.otlpEndpoint (OTEL_EXPORTER_OTLP_ENDPOINT), or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT in tracing.extraEnv: without an endpoint the services load no tracing at all" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The Prometheus job of the services' scrape: <jobPrefix>-<service>, always with "chatorbit" in it. */}}
{{- define "chatorbit.jobPrefix" -}}
{{- $fullname := include "chatorbit.fullname" . -}}
{{- ternary $fullname (printf "chatorbit-%s" $fullname) (contains "chatorbit" $fullname) -}}
{{- end -}}

{{/* The OTEL_* variables the chart sets itself when tracing is on (a JSON list). */}}
{{- define "chatorbit.tracingChartEnv" -}}
{{- list "OTEL_SERVICE_NAME" "OTEL_EXPORTER_OTLP_ENDPOINT" "OTEL_EXPORTER_OTLP_PROTOCOL" "OTEL_TRACES_SAMPLER" "OTEL_TRACES_SAMPLER_ARG" "OTEL_RESOURCE_ATTRIBUTES" | toJson -}}
{{- end -}}

{{/* An environment variable's value as a string; whole numbers without an exponent. */}}
{{- define "chatorbit.envValue" -}}
{{- if or (kindIs "float64" .) (kindIs "float32" .) -}}
{{- if eq (floor .) (float64 .) -}}{{ int64 . }}{{- else -}}{{ . }}{{- end -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{- define "chatorbit.serviceUrl" -}}
{{- printf "http://%s:%d" (include "chatorbit.componentName" (dict "ctx" .ctx "component" .component)) (int (index .ctx.Values .component).port) -}}
{{- end -}}

{{/*
The non-secret settings of one service (dict "ctx" $ "component" "chat"), as a YAML map of
environment variables: what the chart derives from its values, then <component>.config.
*/}}
{{- define "chatorbit.configData" -}}
{{- $ctx := .ctx -}}
{{- $v := index $ctx.Values .component -}}
{{- $env := dict
  "PORT" (toString $v.port)
  "LOG_LEVEL" $ctx.Values.common.logLevel
  "SHUTDOWN_TIMEOUT_MS" (toString (mul (int $v.shutdownTimeoutSeconds) 1000))
-}}
{{- if eq .component "gateway" -}}
{{- $_ := set $env "AUTH_URL" (include "chatorbit.serviceUrl" (dict "ctx" $ctx "component" "auth")) -}}
{{- $_ := set $env "USER_URL" (include "chatorbit.serviceUrl" (dict "ctx" $ctx "component" "user")) -}}
{{- $_ := set $env "CHAT_URL" (include "chatorbit.serviceUrl" (dict "ctx" $ctx "component" "chat")) -}}
{{- $_ := set $env "CORS_ORIGINS" $v.corsOrigins -}}
{{- else -}}
{{- $_ := set $env "JWT_ISSUER" $ctx.Values.common.jwtIssuer -}}
{{- $_ := set $env "JWT_AUDIENCE" $ctx.Values.common.jwtAudience -}}
{{- $_ := set $env "MONGO_DB" $ctx.Values.common.mongoDatabase -}}
{{- $_ := set $env "REDIS_PREFIX" $ctx.Values.common.redisPrefix -}}
{{- $_ := set $env "REDIS_REPLICA_ACKS" (toString $ctx.Values.common.redisReplicaAcks) -}}
{{- if $ctx.Values.redis.enabled -}}
{{- $_ := set $env "REDIS_SENTINELS" (include "chatorbit.redis.sentinels" $ctx) -}}
{{- $_ := set $env "REDIS_MASTER_NAME" $ctx.Values.redis.masterName -}}
{{- else if $ctx.Values.externalRedis.sentinels -}}
{{- $_ := set $env "REDIS_SENTINELS" $ctx.Values.externalRedis.sentinels -}}
{{- $_ := set $env "REDIS_MASTER_NAME" $ctx.Values.externalRedis.masterName -}}
{{- end -}}
{{- if eq .component "auth" -}}
{{- $_ := set $env "ACCESS_TOKEN_TTL_SEC" (toString $v.accessTokenTtlSeconds) -}}
{{- $_ := set $env "JWT_PRIVATE_KEY_FILE" "/etc/chatorbit/jwt/signing.pem" -}}
{{- with $v.jwt.verifyKeysDirEnv -}}
{{- $_ := set $env . "/etc/chatorbit/jwt" -}}
{{- end -}}
{{- if and $v.admin.enabled $v.admin.email -}}
{{- $_ := set $env "ADMIN_EMAIL" $v.admin.email -}}
{{- end -}}
{{- else -}}
{{- $_ := set $env "AUTH_JWKS_URL" (printf "%s/.well-known/jwks.json" (include "chatorbit.serviceUrl" (dict "ctx" $ctx "component" "auth"))) -}}
{{- end -}}
{{- end -}}
{{- range $key, $value := $v.config -}}
{{- $_ := set $env $key (include "chatorbit.envValue" $value) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/*
NODE_OPTIONS of one service (dict "ctx" $ "component" "chat"): chat.nodeOptions (chat only), then
the tracing module (--import, every service) when tracing is on. Empty: NODE_OPTIONS is not set.
*/}}
{{- define "chatorbit.nodeOptions" -}}
{{- $options := list -}}
{{- if and (eq .component "chat") .ctx.Values.chat.nodeOptions -}}
{{- $options = append $options .ctx.Values.chat.nodeOptions -}}
{{- end -}}
{{- if .ctx.Values.tracing.enabled -}}
{{- $options = append $options (printf "--import=%s" .ctx.Values.tracing.loaderPath) -}}
{{- end -}}
{{- join " " $options -}}
{{- end -}}

{{/*
The tracing environment of one service (dict "ctx" $ "component" "chat"): the standard OTEL_*
variables that services/shared/src/tracing.ts and the OpenTelemetry SDK read.
*/}}
{{- define "chatorbit.tracingEnv" -}}
{{- $t := .ctx.Values.tracing -}}
{{- $attributes := dict
  "k8s.namespace.name" .ctx.Release.Namespace
  "k8s.pod.name" "$(CHART_POD_NAME)"
  "k8s.deployment.name" (include "chatorbit.componentName" (dict "ctx" .ctx "component" .component))
-}}
{{- range $key, $value := $t.resourceAttributes -}}
{{- $_ := set $attributes $key (include "chatorbit.envValue" $value) -}}
{{- end -}}
{{- $pairs := list -}}
{{- range $key := keys $attributes | sortAlpha -}}
{{- $pairs = append $pairs (printf "%s=%s" $key (index $attributes $key)) -}}
{{- end -}}
# Expanded into OTEL_RESOURCE_ATTRIBUTES below (Kubernetes $(VAR) syntax).
- name: CHART_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: OTEL_SERVICE_NAME
  value: {{ printf "chatorbit-%s" .component | quote }}
{{- with $t.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- with $t.protocol }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ . | quote }}
{{- end }}
- name: OTEL_TRACES_SAMPLER
  value: {{ $t.sampler | quote }}
{{- if hasSuffix "traceidratio" $t.sampler }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ include "chatorbit.envValue" $t.samplerRatio | quote }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $pairs | quote }}
{{- range $t.extraEnv }}
- name: {{ .name }}
  {{- if hasKey . "valueFrom" }}
  valueFrom:
    {{- toYaml .valueFrom | nindent 4 }}
  {{- else }}
  value: {{ include "chatorbit.envValue" .value | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
The env of one service's container (dict "ctx" $ "component" "chat"): storage credentials (not the
gateway), the first admin (auth), NODE_OPTIONS, tracing. Empty when there is none.
*/}}
{{- define "chatorbit.containerEnv" -}}
{{- $ctx := .ctx -}}
{{- $v := index $ctx.Values .component -}}
{{- if ne .component "gateway" }}
{{- include "chatorbit.storageEnv" $ctx }}
{{- end }}
{{- with include "chatorbit.nodeOptions" . }}
# Node.js runtime flags: chat.nodeOptions (chat), the tracing module (tracing.enabled).
- name: NODE_OPTIONS
  value: {{ . | quote }}
{{- end }}
{{- if and (eq .component "auth") $v.admin.enabled }}
- name: ADMIN_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ include "chatorbit.adminSecretName" $ctx }}
      key: {{ if $v.admin.existingSecret }}{{ $v.admin.usernameKey }}{{ else }}username{{ end }}
- name: ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "chatorbit.adminSecretName" $ctx }}
      key: {{ if $v.admin.existingSecret }}{{ $v.admin.passwordKey }}{{ else }}password{{ end }}
{{- end }}
{{- if $ctx.Values.tracing.enabled }}
{{ include "chatorbit.tracingEnv" . }}
{{- end }}
{{- end -}}

{{/* The storage environment of auth, user and chat: Redis and MongoDB credentials from Secrets. */}}
{{- define "chatorbit.storageEnv" -}}
{{- $r := .Values.externalRedis -}}
{{- if .Values.redis.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "chatorbit.redisSecretName" . }}
      key: {{ .Values.redis.passwordKey }}
- name: REDIS_SENTINEL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "chatorbit.redisSecretName" . }}
      key: {{ .Values.redis.passwordKey }}
{{- else if or $r.url $r.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ default (printf "%s-external" (include "chatorbit.fullname" .)) $r.existingSecret }}
      key: {{ if $r.existingSecret }}{{ $r.urlKey }}{{ else }}redis-url{{ end }}
{{- else if $r.passwordSecret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $r.passwordSecret }}
      key: redis-password
- name: REDIS_SENTINEL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $r.passwordSecret }}
      key: sentinel-password
      optional: true
{{- else }}
{{- if $r.password }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "chatorbit.fullname" . }}-external
      key: redis-password
{{- end }}
{{- if $r.sentinelPassword }}
- name: REDIS_SENTINEL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "chatorbit.fullname" . }}-external
      key: sentinel-password
{{- end }}
{{- end }}
{{- if .Values.mongodb.enabled }}
# Expanded into MONGO_URL below (Kubernetes $(VAR) syntax); the generated password is URL-safe.
- name: CHART_MONGO_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "chatorbit.mongodbSecretName" . }}
      key: password
- name: MONGO_URL
  value: {{ printf "mongodb://%s:$(CHART_MONGO_PASSWORD)@%s/?replicaSet=%s&authSource=admin" .Values.mongodb.username (include "chatorbit.mongodb.hosts" .) .Values.mongodb.replicaSetName | quote }}
{{- else }}
- name: MONGO_URL
  valueFrom:
    secretKeyRef:
      name: {{ default (printf "%s-external" (include "chatorbit.fullname" .)) .Values.externalMongodb.existingSecret }}
      key: {{ if .Values.externalMongodb.existingSecret }}{{ .Values.externalMongodb.urlKey }}{{ else }}mongo-url{{ end }}
{{- end }}
{{- end -}}

{{/*
What the credentials a service reads depend on (dict "ctx" $ "component" "auth"), for its
checksum/secrets annotation. Generated values are left out on purpose: they are made once and kept
(lookup), so only these inputs (and a rotation) change them; hashing the generated values would
roll every pod at the first upgrade after install.
*/}}
{{- define "chatorbit.secretInputs" -}}
{{- $v := .ctx.Values -}}
{{- $inputs := dict "redis" (pick $v.redis "enabled" "existingSecret" "passwordKey") "externalRedis" $v.externalRedis "mongodb" (pick $v.mongodb "enabled" "existingSecret" "username") "externalMongodb" $v.externalMongodb -}}
{{- if eq .component "auth" -}}
{{- $_ := set $inputs "jwt" $v.auth.jwt -}}
{{- $_ := set $inputs "admin" $v.auth.admin -}}
{{- end -}}
{{- toJson $inputs -}}
{{- end -}}

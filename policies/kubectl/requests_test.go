package kubectl

import (
	"errors"
	"slices"
	"testing"
)

// TestRequests maps kubectl command lines, as a Job would write them in
// sh -c, to the requests of kubectl 1.36 against a 1.36 cluster (see
// doc.go; TestRequestsVersions covers the others). The pod runs in the
// "jobs" namespace. Cases with a reason are unresolved.
func TestRequests(t *testing.T) {
	tests := []struct {
		cmd    string
		want   []string
		reason string
	}{
		// scale: get the object, patch its scale subresource
		{`scale deployment example-deployment -n example-namespace --replicas=0`, []string{
			`get deployments.apps "example-deployment" in namespace "example-namespace"`,
			`patch deployments.apps/scale "example-deployment" in namespace "example-namespace"`,
		}, ""},
		{`-n example-namespace scale deploy/example-deployment --replicas 3`, []string{
			`get deployments.apps "example-deployment" in namespace "example-namespace"`,
			`patch deployments.apps/scale "example-deployment" in namespace "example-namespace"`,
		}, ""},
		{`scale --replicas=0 --namespace=prod statefulset.apps/db`, []string{
			`get statefulsets.apps "db" in namespace "prod"`,
			`patch statefulsets.apps/scale "db" in namespace "prod"`,
		}, ""},
		{`scale rs/a rs/b --replicas=1 -nprod`, []string{
			`get replicasets.apps "a" in namespace "prod"`,
			`patch replicasets.apps/scale "a" in namespace "prod"`,
			`get replicasets.apps "b" in namespace "prod"`,
			`patch replicasets.apps/scale "b" in namespace "prod"`,
		}, ""},
		{`scale deploy -l app=web --replicas=2`, []string{
			`list deployments.apps in namespace "jobs"`,
			`patch deployments.apps/scale in namespace "jobs"`,
		}, ""},
		{`scale deploy web --replicas=2 --current-replicas=1 --timeout=1m`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`get deployments.apps/scale "web" in namespace "jobs"`,
			`update deployments.apps/scale "web" in namespace "jobs"`,
		}, ""},
		{`scale job/x --replicas=1`, nil, `jobs.batch has no scale subresource`},
		{`scale deploy web`, nil, `kubectl scale needs --replicas`},
		// get: get by name, list otherwise; --watch adds a watch
		{`get pods`, []string{
			`list pods in namespace "jobs"`,
		}, ""},
		{`get pod web-1 -o jsonpath='{.status.phase}'`, []string{
			`get pods "web-1" in namespace "jobs"`,
		}, ""},
		{`get po/web-1 svc/web`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`get services "web" in namespace "jobs"`,
		}, ""},
		{`get pods,services web`, []string{
			`get pods "web" in namespace "jobs"`,
			`get services "web" in namespace "jobs"`,
		}, ""},
		{`get deployments.apps web`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`get Deployment.v1.apps web`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`get pods -A -l app=web`, []string{
			`list pods in all namespaces`,
		}, ""},
		{`get pods --all-namespaces`, []string{
			`list pods in all namespaces`,
		}, ""},
		{`get pods -w`, []string{
			`list pods in namespace "jobs"`,
			`watch pods in namespace "jobs"`,
		}, ""},
		{`get pod web-1 --watch`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`watch pods "web-1" in namespace "jobs"`,
		}, ""},
		{`get nodes`, []string{
			`list nodes (cluster-scoped)`,
		}, ""},
		{`get ns`, []string{
			`list namespaces (cluster-scoped)`,
		}, ""},
		{`get namespace redis`, []string{
			`get namespaces "redis" in namespace "redis"`,
		}, ""},
		{`get pods --field-selector=metadata.name=web-1`, []string{
			`list pods "web-1" in namespace "jobs"`,
		}, ""},
		{`get deploy web --subresource=scale`, []string{
			`get deployments.apps/scale "web" in namespace "jobs"`,
		}, ""},
		{`get pod web-1 -A`, nil, `kubectl cannot get a resource by name across all namespaces`},
		{`get pods web-1 -l app=web`, nil, `kubectl rejects names together with a selector or --all`},
		{`get all`, nil, `resource category "all" depends on discovery`},
		{`get widgets`, nil, `unknown resource type "widgets"`},
		{`get`, nil, `kubectl get needs a resource type`},
		{`get --raw /healthz`, nil, `--raw requests a URL`},
		// describe: the describer fetches the object again and lists related objects
		{`describe pod web-1`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`list events in namespace "jobs" (optional)`,
		}, ""},
		{`describe pods`, []string{
			`list pods in namespace "jobs"`,
			`get pods in namespace "jobs"`,
			`list events in namespace "jobs" (optional)`,
		}, ""},
		{`describe pods a b`, []string{
			`get pods "a" in namespace "jobs"`,
			`get pods "b" in namespace "jobs"`,
		}, ""},
		{`describe deploy web`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`list events in namespace "jobs" (optional)`,
			`list replicasets.apps in namespace "jobs" (optional)`,
		}, ""},
		{`describe node node-1`, []string{
			`get nodes "node-1" (cluster-scoped)`,
			`list pods in all namespaces (optional)`,
			`list events in all namespaces (optional)`,
			`list resourceslices.resource.k8s.io (cluster-scoped) (optional)`,
			`get leases.coordination.k8s.io "node-1" in namespace "kube-node-lease" (optional)`,
		}, ""},
		{`describe ns redis`, []string{
			`get namespaces "redis" in namespace "redis"`,
			`list resourcequotas in namespace "redis"`,
			`list limitranges in namespace "redis"`,
		}, ""},
		{`describe svc web`, []string{
			`get services "web" in namespace "jobs"`,
			`list endpointslices.discovery.k8s.io in namespace "jobs" (optional)`,
			`list events in namespace "jobs" (optional)`,
		}, ""},
		{`describe cm cfg`, []string{
			`get configmaps "cfg" in namespace "jobs"`,
			`list events in namespace "jobs"`,
		}, ""},
		{`describe secret s`, []string{
			`get secrets "s" in namespace "jobs"`,
		}, ""},
		{`describe sts db`, []string{
			`get statefulsets.apps "db" in namespace "jobs"`,
			`list pods in namespace "jobs"`,
			`list events in namespace "jobs" (optional)`,
		}, ""},
		{`describe job j --show-events=false`, []string{
			`get jobs.batch "j" in namespace "jobs"`,
		}, ""},
		// logs: for a controller, kubectl lists its pods and reads one
		{`logs web-1`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`get pods/log "web-1" in namespace "jobs"`,
		}, ""},
		{`logs -f web-1 -c app --tail=10`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`get pods/log "web-1" in namespace "jobs"`,
		}, ""},
		{`logs deploy/web`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`list pods in namespace "jobs"`,
			`watch pods in namespace "jobs" (optional)`,
			`get pods/log in namespace "jobs"`,
		}, ""},
		{`logs job/migrate -n db`, []string{
			`get jobs.batch "migrate" in namespace "db"`,
			`list pods in namespace "db"`,
			`watch pods in namespace "db" (optional)`,
			`get pods/log in namespace "db"`,
		}, ""},
		{`logs -l app=web --all-containers`, []string{
			`list pods in namespace "jobs"`,
			`get pods/log in namespace "jobs"`,
		}, ""},
		{`logs cm/x`, nil, `kubectl cannot select pods through configmaps`},
		{`logs`, nil, `kubectl logs needs a pod, TYPE/NAME or a selector`},
		// exec, cp, attach, port-forward: create on the pod subresource
		{`exec example-redis -n redis -- redis-cli flushall`, []string{
			`get pods "example-redis" in namespace "redis"`,
			`get pods/exec "example-redis" in namespace "redis" (optional)`,
			`create pods/exec "example-redis" in namespace "redis"`,
		}, ""},
		{`exec -it deploy/web -- sh -c 'echo hi'`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`list pods in namespace "jobs"`,
			`watch pods in namespace "jobs" (optional)`,
			`get pods/exec in namespace "jobs" (optional)`,
			`create pods/exec in namespace "jobs"`,
		}, ""},
		{`exec web-1 ls`, nil, `kubectl exec needs "--" before the command`},
		{`exec -n redis -c redis example-redis -- redis-cli -n 5 flushdb`, []string{
			`get pods "example-redis" in namespace "redis"`,
			`get pods/exec "example-redis" in namespace "redis" (optional)`,
			`create pods/exec "example-redis" in namespace "redis"`,
		}, ""},
		{`cp web-1:/etc/hosts /tmp/hosts`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`get pods/exec "web-1" in namespace "jobs" (optional)`,
			`create pods/exec "web-1" in namespace "jobs"`,
		}, ""},
		{`cp /tmp/x redis/example-redis:/data/x -c redis`, []string{
			`get pods "example-redis" in namespace "redis"`,
			`get pods/exec "example-redis" in namespace "redis" (optional)`,
			`create pods/exec "example-redis" in namespace "redis"`,
		}, ""},
		{`cp a b`, nil, `kubectl cp needs exactly one [NAMESPACE/]POD:PATH argument`},
		{`attach web-1 -i`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`get pods/attach "web-1" in namespace "jobs" (optional)`,
			`create pods/attach "web-1" in namespace "jobs"`,
		}, ""},
		{`port-forward web-1 8080:80`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`get pods/portforward "web-1" in namespace "jobs" (optional)`,
			`create pods/portforward "web-1" in namespace "jobs"`,
		}, ""},
		{`port-forward svc/web 8080:80`, []string{
			`get services "web" in namespace "jobs"`,
			`list pods in namespace "jobs"`,
			`watch pods in namespace "jobs" (optional)`,
			`get pods in namespace "jobs"`,
			`get pods/portforward in namespace "jobs" (optional)`,
			`create pods/portforward in namespace "jobs"`,
		}, ""},
		{`port-forward deployment/web 8080`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`list pods in namespace "jobs"`,
			`watch pods in namespace "jobs" (optional)`,
			`get pods in namespace "jobs"`,
			`get pods/portforward in namespace "jobs" (optional)`,
			`create pods/portforward in namespace "jobs"`,
		}, ""},
		// rollout
		{`rollout restart deployment/web`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`patch deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`rollout restart deploy web -n prod`, []string{
			`get deployments.apps "web" in namespace "prod"`,
			`patch deployments.apps "web" in namespace "prod"`,
		}, ""},
		{`rollout restart deploy`, []string{
			`list deployments.apps in namespace "jobs"`,
			`patch deployments.apps in namespace "jobs"`,
		}, ""},
		{`rollout restart svc/web`, nil, `kubectl rollout restart does not support services`},
		{`rollout status deploy/web --timeout=60s`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`watch deployments.apps "web" in namespace "jobs"`,
			`list deployments.apps "web" in namespace "jobs" (optional)`,
		}, ""},
		{`rollout status sts/db -w=false`, []string{
			`get statefulsets.apps "db" in namespace "jobs"`,
			`watch statefulsets.apps "db" in namespace "jobs"`,
			`list statefulsets.apps "db" in namespace "jobs" (optional)`,
		}, ""},
		{`rollout undo deploy/web --to-revision=2`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`list replicasets.apps in namespace "jobs"`,
			`patch deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`rollout undo ds/agent`, []string{
			`get daemonsets.apps "agent" in namespace "jobs"`,
			`list controllerrevisions.apps in namespace "jobs"`,
			`patch daemonsets.apps "agent" in namespace "jobs"`,
		}, ""},
		{`rollout history deploy/web`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`list replicasets.apps in namespace "jobs"`,
		}, ""},
		{`rollout pause deploy/web`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`patch deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`rollout resume deploy/web`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`patch deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`rollout pause ds/agent`, nil, `kubectl rollout pause does not support daemonsets.apps`},
		// delete: per object (no deletecollection), then a tolerant wait
		{`delete pod web-1`, []string{
			`delete pods "web-1" in namespace "jobs"`,
			`get pods "web-1" in namespace "jobs" (optional)`,
			`watch pods "web-1" in namespace "jobs" (optional)`,
			`list pods "web-1" in namespace "jobs" (optional)`,
		}, ""},
		{`delete pods -l app=web`, []string{
			`list pods in namespace "jobs"`,
			`delete pods in namespace "jobs"`,
			`get pods in namespace "jobs" (optional)`,
			`watch pods in namespace "jobs" (optional)`,
		}, ""},
		{`delete pods --all -n tmp`, []string{
			`list pods in namespace "tmp"`,
			`delete pods in namespace "tmp"`,
			`get pods in namespace "tmp" (optional)`,
			`watch pods in namespace "tmp" (optional)`,
		}, ""},
		{`delete cm a b --wait=false`, []string{
			`delete configmaps "a" in namespace "jobs"`,
			`delete configmaps "b" in namespace "jobs"`,
		}, ""},
		{`delete job old --ignore-not-found --now`, []string{
			`delete jobs.batch "old" in namespace "jobs"`,
			`get jobs.batch "old" in namespace "jobs" (optional)`,
			`watch jobs.batch "old" in namespace "jobs" (optional)`,
			`list jobs.batch "old" in namespace "jobs" (optional)`,
		}, ""},
		{`delete pod web-1 --dry-run=client`, nil, ""},
		{`delete pod web-1 --dry-run=server`, []string{
			`delete pods "web-1" in namespace "jobs"`,
		}, ""},
		{`delete -f job.yaml`, nil, `objects are read from --filename or --kustomize`},
		{`delete pods`, nil, `kubectl delete needs names, a selector or --all`},
		{`delete pods --all -A`, []string{
			`list pods in all namespaces`,
			`delete pods in all namespaces`,
			`get pods in all namespaces (optional)`,
			`watch pods in all namespaces (optional)`,
		}, ""},
		{`delete ns scratch`, []string{
			`delete namespaces "scratch" in namespace "scratch"`,
			`get namespaces "scratch" in namespace "scratch" (optional)`,
			`watch namespaces "scratch" in namespace "scratch" (optional)`,
			`list namespaces "scratch" in namespace "scratch" (optional)`,
		}, ""},
		// patch, label, annotate, set: get, then patch
		{`patch deploy web -p '{"spec":{"replicas":1}}'`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`patch deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`patch deploy web --type=json -p='[{"op":"remove","path":"/spec/x"}]' --dry-run=client`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`patch pod web-1 --subresource=status --type=merge -p '{"status":{}}'`, []string{
			`get pods/status "web-1" in namespace "jobs"`,
			`patch pods/status "web-1" in namespace "jobs"`,
		}, ""},
		{`patch deploy web`, nil, `kubectl patch needs --patch or --patch-file`},
		// --local works on the files given, with no request, before any other check.
		{`patch -f deploy.yaml --local -p '{"spec":{"replicas":1}}' -o yaml`, nil, ""},
		{`patch deploy web --local`, nil, ""},
		{`label -f job.yaml --local team=a -o yaml`, nil, ""},
		{`annotate -f job.yaml --local=true note=x -o yaml`, nil, ""},
		{`set image -f deploy.yaml app=nginx:1.27 --local -o yaml`, nil, ""},
		{`set subject -f binding.yaml --serviceaccount=jobs:runner --local -o yaml`, nil, ""},
		{`label pod web-1 team=a --local=false`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`patch pods "web-1" in namespace "jobs"`,
		}, ""},
		{`label pod web-1 team=a --local=$LOCAL`, nil, `--local=$LOCAL is not a literal`},
		{`label pod web-1 app=x --overwrite`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`patch pods "web-1" in namespace "jobs"`,
		}, ""},
		{`label pods -l app=web tier- `, []string{
			`list pods in namespace "jobs"`,
			`patch pods in namespace "jobs"`,
		}, ""},
		{`label pod web-1 --list`, []string{
			`get pods "web-1" in namespace "jobs"`,
		}, ""},
		{`label pod web-1`, nil, `kubectl label needs at least one change`},
		{`label pods tier=web`, nil, `kubectl label needs names, a selector or --all`},
		{`label pods --all tier=web`, []string{
			`list pods in namespace "jobs"`,
			`patch pods in namespace "jobs"`,
		}, ""},
		{`annotate deploy web kubernetes.io/change-cause="deploy $(date)"`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`patch deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`set image deployment/web web=nginx:1.27`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`patch deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`set image deploy web web=nginx:$TAG -n prod`, []string{
			`get deployments.apps "web" in namespace "prod"`,
			`patch deployments.apps "web" in namespace "prod"`,
		}, ""},
		{`set env deploy/web FOO=bar`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`patch deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`set env deploy/web --from=secret/creds`, []string{
			`get secrets "creds" in namespace "jobs"`,
			`get deployments.apps "web" in namespace "jobs"`,
			`patch deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`set resources deploy web --limits=cpu=1`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`patch deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`set serviceaccount deploy web bot`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`patch deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`set subject rolebinding rb --serviceaccount=ns:sa`, []string{
			`get rolebindings.rbac.authorization.k8s.io "rb" in namespace "jobs"`,
			`patch rolebindings.rbac.authorization.k8s.io "rb" in namespace "jobs"`,
		}, ""},
		{`set image cm/x a=b`, nil, `configmaps has no pod template`},
		{`set selector svc web app=x`, nil, `kubectl set selector is not modelled`},
		// create, run, expose, autoscale: creates carry no name for RBAC
		{`create job manual-1 --from=cronjob/backup`, []string{
			`get cronjobs.batch "backup" in namespace "jobs"`,
			`create jobs.batch in namespace "jobs"`,
		}, ""},
		{`create job "backup-$(date +%s)" --from=cronjob/backup -n db`, []string{
			`get cronjobs.batch "backup" in namespace "db"`,
			`create jobs.batch in namespace "db"`,
		}, ""},
		{`create job j --image=busybox -- echo hi`, []string{
			`create jobs.batch in namespace "jobs"`,
		}, ""},
		{`create job j --from=deploy/web`, nil, `create job --from needs cronjob/NAME`},
		{`create cm cfg --from-literal=a=b`, []string{
			`create configmaps in namespace "jobs"`,
		}, ""},
		{`create secret generic s --from-literal=a=b --dry-run=client -o yaml`, nil, ""},
		{`create ns scratch`, []string{
			`create namespaces (cluster-scoped)`,
		}, ""},
		{`create token bot --duration=1h`, []string{
			`create serviceaccounts/token "bot" in namespace "jobs"`,
		}, ""},
		{`create clusterrolebinding x --clusterrole=view --user=u`, []string{
			`create clusterrolebindings.rbac.authorization.k8s.io (cluster-scoped)`,
			`bind clusterroles.rbac.authorization.k8s.io "view" (cluster-scoped)`,
		}, ""},
		{`create -f job.yaml`, nil, `objects are read from --filename or --kustomize`},
		{`create deployment web --image=nginx -r 3`, []string{
			`create deployments.apps in namespace "jobs"`,
		}, ""},
		{`create service clusterip web --tcp=80:80`, []string{
			`create services in namespace "jobs"`,
		}, ""},
		{`run tmp --image=busybox --restart=Never -- sleep 1`, []string{
			`create pods in namespace "jobs"`,
		}, ""},
		{`run tmp --rm -it --image=busybox -- sh`, nil, `kubectl run --stdin waits for and attaches to the pod`},
		{`expose deploy web --port=80`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`create services in namespace "jobs"`,
		}, ""},
		{`autoscale deploy web --max=5`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
			`create horizontalpodautoscalers.autoscaling in namespace "jobs"`,
		}, ""},
		// wait: a watch-list on each object; --timeout=0 gets once
		{`wait --for=condition=complete job/migrate --timeout=300s`, []string{
			`get jobs.batch "migrate" in namespace "jobs"`,
			`watch jobs.batch "migrate" in namespace "jobs"`,
			`list jobs.batch "migrate" in namespace "jobs" (optional)`,
		}, ""},
		{`wait --for=delete pod/web-1`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`watch pods "web-1" in namespace "jobs" (optional)`,
			`list pods "web-1" in namespace "jobs" (optional)`,
		}, ""},
		{`wait --for=condition=Ready pods -l app=web`, []string{
			`list pods in namespace "jobs"`,
			`watch pods in namespace "jobs"`,
		}, ""},
		{`wait --for=jsonpath='{.status.phase}'=Running pod/web-1 --timeout=0`, []string{
			`get pods "web-1" in namespace "jobs"`,
		}, ""},
		{`wait --for=create deploy/web`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`wait pod/web-1`, nil, `kubectl wait needs --for`},
		// auth, top, and commands without requests
		{`auth can-i get pods`, []string{
			`create selfsubjectaccessreviews.authorization.k8s.io (cluster-scoped)`,
		}, ""},
		{`auth can-i --list -n prod`, []string{
			`create selfsubjectrulesreviews.authorization.k8s.io (cluster-scoped)`,
		}, ""},
		{`auth whoami`, []string{
			`create selfsubjectreviews.authentication.k8s.io (cluster-scoped)`,
		}, ""},
		{`top pod`, []string{
			`list pods.metrics.k8s.io in namespace "jobs"`,
			`list pods in namespace "jobs" (optional)`,
		}, ""},
		{`top pods web-1`, []string{
			`get pods.metrics.k8s.io "web-1" in namespace "jobs"`,
		}, ""},
		{`top pod -A`, []string{
			`list pods.metrics.k8s.io in all namespaces`,
			`list pods in all namespaces (optional)`,
		}, ""},
		{`top node`, []string{
			`list nodes.metrics.k8s.io (cluster-scoped)`,
			`list nodes (cluster-scoped)`,
		}, ""},
		{`top no node-1`, []string{
			`get nodes.metrics.k8s.io "node-1" (cluster-scoped)`,
			`get nodes "node-1" (cluster-scoped)`,
		}, ""},
		{`version --client`, nil, ""},
		{`api-resources`, nil, ""},
		{`explain pods`, nil, ""},
		{`config view`, nil, ""},
		{`apply -f /manifests/`, nil, `objects are read from --filename or --kustomize`},
		{`apply -k overlays/prod`, nil, `objects are read from --filename or --kustomize`},
		{`replace -f x.yaml`, nil, `objects are read from --filename or --kustomize`},
		{`edit deploy web`, nil, `kubectl edit is not modelled`},
		{`debug web-1 --image=busybox`, nil, `kubectl debug is not modelled`},
		// nodes
		{`cordon node-1`, []string{
			`get nodes "node-1" (cluster-scoped)`,
			`patch nodes "node-1" (cluster-scoped)`,
		}, ""},
		{`uncordon node-1`, []string{
			`get nodes "node-1" (cluster-scoped)`,
			`patch nodes "node-1" (cluster-scoped)`,
		}, ""},
		{`drain node-1 --ignore-daemonsets --delete-emptydir-data`, []string{
			`get nodes "node-1" (cluster-scoped)`,
			`patch nodes "node-1" (cluster-scoped)`,
			`list pods in all namespaces`,
			`get daemonsets.apps in all namespaces (optional)`,
			`create pods/eviction in all namespaces (optional)`,
			`get pods in all namespaces (optional)`,
		}, ""},
		{`drain node-1 --disable-eviction`, []string{
			`get nodes "node-1" (cluster-scoped)`,
			`patch nodes "node-1" (cluster-scoped)`,
			`list pods in all namespaces`,
			`get daemonsets.apps in all namespaces (optional)`,
			`delete pods in all namespaces (optional)`,
			`get pods in all namespaces (optional)`,
		}, ""},
		{`taint nodes node-1 dedicated=x:NoSchedule`, []string{
			`get nodes "node-1" (cluster-scoped)`,
			`patch nodes "node-1" (cluster-scoped)`,
		}, ""},
		{`taint nodes dedicated=x:NoSchedule`, nil, `kubectl taint needs names, a selector or --all`},
		{`taint node/node-1 dedicated-`, nil, `kubectl taint wants TYPE NAME, not node/node-1`},
		{`taint pods web-1 dedicated=x:NoSchedule`, nil, `kubectl taint works on nodes, not pods`},
		{`cordon -l pool=batch`, []string{
			`list nodes (cluster-scoped)`,
			`patch nodes (cluster-scoped)`,
		}, ""},
		// events and cluster-info
		{`events`, []string{
			`list events in namespace "jobs"`,
		}, ""},
		{`events -A --watch`, []string{
			`watch events in all namespaces`,
		}, ""},
		{`cluster-info`, []string{
			`list services in namespace "kube-system"`,
		}, ""},
		{`cluster-info dump`, nil, `kubectl cluster-info dump is not modelled`},
		// global flags and words that are not literal
		{`--kubeconfig=/etc/kc get pods`, nil, `--kubeconfig: requests are not made as the pod's ServiceAccount`},
		{`get pods --as=system:admin`, nil, `--as: requests are not made as the pod's ServiceAccount`},
		{`--context prod get pods`, nil, `--context: requests are not made as the pod's ServiceAccount`},
		{`--server=https://kubernetes.default get pods`, []string{
			`list pods in namespace "jobs"`,
		}, ""},
		{`-v=6 get pods`, []string{
			`list pods in namespace "jobs"`,
		}, ""},
		{`get pods --help`, nil, ""},
		{``, nil, ""}, // prints help
		{`frobnicate`, nil, `kubectl frobnicate is not modelled`},
		{`get pods --frobnicate`, nil, `unknown flag --frobnicate`},
		{`get pods -n`, nil, `flag -n needs an argument`},
		{`get pods -n $NS`, nil, `namespace $NS is not a literal`},
		{`get pods -n "$NS" -o name`, nil, `namespace $NS is not a literal`},
		{`get nodes -n $NS`, []string{
			`list nodes (cluster-scoped)`,
		}, ""},
		{`delete pod $POD`, []string{
			`delete pods in namespace "jobs"`,
			`get pods in namespace "jobs" (optional)`,
			`watch pods in namespace "jobs" (optional)`,
			`list pods in namespace "jobs" (optional)`,
		}, ""},
		{`get $TYPE foo`, nil, `resource type $TYPE is not a literal`},
		{`$VERB pods`, nil, `subcommand $VERB is not a literal`},
		// A handler reports the first of its reads that fails, in the order it reads them.
		{`get $TYPE foo --watch=$W --subresource=$S`, nil, `resource type $TYPE is not a literal`},
		{`get pods --watch=$W --subresource=$S`, nil, `--watch=$W is not a literal`},
		{`get pods --watch-only=$W --subresource=$S`, nil, `--watch-only=$W is not a literal`},
		{`get pods foo --subresource=$S`, nil, `--subresource $S is not a literal`},
		{`scale deploy/web --replicas=1 --current-replicas=$C --timeout=$T`, nil, `--current-replicas $C is not a literal`},
		{`scale deploy/web --replicas=1 --timeout=soon`, nil, `invalid --timeout=soon`},
		{`scale $KIND/web --timeout=soon`, nil, `kubectl scale needs --replicas`},
		{`wait --for=delete $KIND/web --timeout=$T`, nil, `--timeout $T is not a literal`},
		{`wait --for=delete pod/web --timeout=1m`, []string{
			`get pods "web" in namespace "jobs"`,
			`watch pods "web" in namespace "jobs" (optional)`,
			`list pods "web" in namespace "jobs" (optional)`,
		}, ""},
		{`delete pod web --wait=$W`, nil, `--wait=$W is not a literal`},
		{`describe $KIND --show-events=$E`, nil, `resource type $KIND is not a literal`},
		{`--all_namespaces get pods`, []string{
			`list pods in all namespaces`,
		}, ""},
		// flag syntax
		{`rollout status sts/db -w=false`, []string{
			`get statefulsets.apps "db" in namespace "jobs"`,
			`watch statefulsets.apps "db" in namespace "jobs"`,
			`list statefulsets.apps "db" in namespace "jobs" (optional)`,
		}, ""},
		{`create clusterrolebinding x --clusterrole=view --user=u`, []string{
			`create clusterrolebindings.rbac.authorization.k8s.io (cluster-scoped)`,
			`bind clusterroles.rbac.authorization.k8s.io "view" (cluster-scoped)`,
		}, ""},
		// kubectl keeps a repeated flag's last value: the binding binds b.
		{`create rolebinding x --role=a --role=b --serviceaccount=jobs:bot`, []string{
			`create rolebindings.rbac.authorization.k8s.io in namespace "jobs"`,
			`bind roles.rbac.authorization.k8s.io "b" in namespace "jobs"`,
		}, ""},
		{`create rolebinding x --role=a --clusterrole=b --user=u`, nil, `kubectl create rolebinding takes --role or --clusterrole, not both`},
		{`create clusterrolebinding x --user=u`, nil, `kubectl create clusterrolebinding needs --clusterrole`},
		{`create rolebinding x --role="$ROLE" --user=u`, []string{
			`create rolebindings.rbac.authorization.k8s.io in namespace "jobs"`,
		}, ""},
		{`create rolebinding x --clusterrole=view --serviceaccount=jobs:bot -n jobs`, []string{
			`create rolebindings.rbac.authorization.k8s.io in namespace "jobs"`,
			`bind clusterroles.rbac.authorization.k8s.io "view" in namespace "jobs"`,
		}, ""},
		{`scale deploy web --replicas=0 --dry-run=client --current-replicas=2`, []string{
			`get deployments.apps "web" in namespace "jobs"`,
		}, ""},
		{`label pods x a=b c`, nil, `kubectl wants resources before changes, got c`},
		{`get pods -l app=web -o custom-columns=NAME:.metadata.name --sort-by=.metadata.name --no-headers`, []string{
			`list pods in namespace "jobs"`,
		}, ""},
		{`--namespace=prod --request-timeout=10s get deploy web`, []string{
			`get deployments.apps "web" in namespace "prod"`,
		}, ""},
		{`get deploy web -n prod -n staging`, []string{
			`get deployments.apps "web" in namespace "staging"`,
		}, ""},
		{`get pods -n ""`, []string{
			`list pods in namespace "jobs"`,
		}, ""},
		{`exec -ti web-1 -c app -- kubectl get pods`, []string{
			`get pods "web-1" in namespace "jobs"`,
			`get pods/exec "web-1" in namespace "jobs" (optional)`,
			`create pods/exec "web-1" in namespace "jobs"`,
		}, ""},
		{`logs --selector=app=web --prefix`, []string{
			`list pods in namespace "jobs"`,
			`get pods/log in namespace "jobs"`,
		}, ""},
		{`get pods -A web`, nil, `kubectl cannot get a resource by name across all namespaces`},
		{`delete pod web-1 --cascade`, []string{
			`delete pods "web-1" in namespace "jobs"`,
			`get pods "web-1" in namespace "jobs" (optional)`,
			`watch pods "web-1" in namespace "jobs" (optional)`,
			`list pods "web-1" in namespace "jobs" (optional)`,
		}, ""},
		{`delete pod web-1 --cascade foreground`, []string{
			`delete pods "web-1" in namespace "jobs"`,
			`delete pods "foreground" in namespace "jobs"`,
			`get pods "web-1" in namespace "jobs" (optional)`,
			`watch pods "web-1" in namespace "jobs" (optional)`,
			`list pods "web-1" in namespace "jobs" (optional)`,
			`get pods "foreground" in namespace "jobs" (optional)`,
			`watch pods "foreground" in namespace "jobs" (optional)`,
			`list pods "foreground" in namespace "jobs" (optional)`,
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			invs := Find(sh("kubectl "+tt.cmd), nil)
			if len(invs) != 1 {
				t.Fatalf("Find() found %d invocations, want 1", len(invs))
			}
			reqs, err := invs[0].RequestsFor("jobs", v136)
			var got []string
			for _, r := range reqs {
				got = append(got, r.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Requests() =\n%q\nwant\n%q", got, tt.want)
			}
			var unresolved *UnresolvedError
			switch {
			case tt.reason == "" && err != nil:
				t.Errorf("Requests() error = %v", err)
			case tt.reason != "" && !errors.As(err, &unresolved):
				t.Errorf("Requests() error = %v, want an *UnresolvedError", err)
			case tt.reason != "" && unresolved.Reason != tt.reason:
				t.Errorf("Requests() reason = %q, want %q", unresolved.Reason, tt.reason)
			}
		})
	}
}

package kubectl_test

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/jobguard/jobguard/policies/kubectl"
)

// envtestCases are the command lines TestEnvtest runs. The pod's namespace
// (kubectl's default) is a fresh one per case; any other namespace or
// cluster-scoped object a case names must be its own, since cases run in
// parallel. Objects are created afresh before each run.
var envtestCases = []envCase{
	// get: get by name, list otherwise, then watch
	{cmd: `get pods`, objects: objs(pod("web-1"))},
	{cmd: `get pod web-1 -o jsonpath='{.status.phase}'`, objects: objs(pod("web-1"))},
	{cmd: `get po/web-1 svc/web`, objects: objs(pod("web-1"), service("web"))},
	{cmd: `get pods,services web`, objects: objs(pod("web"), service("web"))},
	{cmd: `--namespace=get-prod --request-timeout=10s get Deployment.v1.apps web`, objects: objs(in("get-prod", deployment("web")))},
	{cmd: `get pods -A -l app=web`, objects: objs(pod("web-1"))},
	{cmd: `get pods --field-selector=metadata.name=web-1`, objects: objs(pod("web-1"))},
	{cmd: `get deploy web --subresource=scale`, objects: objs(deployment("web"))},
	{cmd: `get pod web-1 --watch`, objects: objs(pod("web-1")), runFor: 2 * time.Second},
	{cmd: `get pods -w -l app=web`, objects: objs(pod("web-1")), runFor: 2 * time.Second},
	{cmd: `get nodes`},
	{cmd: `get namespace get-redis`},

	// describe: the describer fetches the object again and lists related objects
	{cmd: `describe pod web-1`, objects: objs(pod("web-1"))},
	{cmd: `describe pods`, objects: objs(pod("web-1"))},
	{cmd: `describe pods a b`, objects: objs(pod("a"), pod("b"))},
	{cmd: `describe deploy web`, objects: objs(deployment("web"))},
	{cmd: `describe node describe-node-1`, objects: objs(node("describe-node-1"))},
	{cmd: `describe ns describe-redis`},
	{cmd: `describe svc web`, objects: objs(service("web"))},
	{cmd: `describe cm cfg`, objects: objs(configMap("cfg"))},
	{cmd: `describe secret s`, objects: objs(secret("s"))},
	{cmd: `describe sts db`, objects: objs(statefulSet("db"))},
	{cmd: `describe job j --show-events=false`, objects: objs(job("j"))},

	// logs, exec, cp, attach, port-forward: the pod is on a node that does
	// not exist, so the API server authorizes the request, then fails to
	// reach the kubelet.

	// logs: for a controller, kubectl lists its pods and reads one
	{cmd: `logs web-1`, objects: objs(onGhostNode(pod("web-1"))), fails: noKubelet},
	// -f retries refused or failed streams until --pod-running-timeout.
	{cmd: `logs -f web-1 -c web --tail=10 --pod-running-timeout=2s`, objects: objs(onGhostNode(pod("web-1"))), fails: noKubelet},
	{cmd: `logs deploy/web`, objects: objs(deployment("web"), onGhostNode(pod("web-1"))), fails: noKubelet},
	{cmd: `logs job/migrate -n logs-db`, objects: objs(in("logs-db", job("migrate")), in("logs-db", onGhostNode(pod("migrate-1")))), fails: noKubelet},
	{cmd: `logs -l app=web --all-containers`, objects: objs(onGhostNode(pod("web-1"))), fails: noKubelet},

	// exec, cp, attach, port-forward: create on the pod's subresource
	{cmd: `exec example-redis -n exec-redis -- redis-cli flushall`, objects: objs(in("exec-redis", onGhostNode(pod("example-redis")))), fails: noKubelet},
	{cmd: `exec -it deploy/web -- sh -c 'echo hi'`, objects: objs(deployment("web"), onGhostNode(pod("web-1"))), fails: noKubelet},
	{cmd: `exec -n exec-redis-2 -c redis example-redis -- redis-cli -n 5 flushdb`, objects: objs(in("exec-redis-2", onGhostNode(container(pod("example-redis"), "redis")))), fails: noKubelet},
	{cmd: `cp web-1:/etc/hosts hosts`, objects: objs(onGhostNode(pod("web-1"))), fails: noKubelet},
	{cmd: `cp data cp-redis/example-redis:/data/x -c redis`, objects: objs(in("cp-redis", onGhostNode(container(pod("example-redis"), "redis")))), fails: noKubelet},
	{cmd: `attach web-1 -i`, objects: objs(running(onGhostNode(pod("web-1")))), fails: noKubelet},
	{cmd: `port-forward web-1 8080:80`, objects: objs(running(onGhostNode(pod("web-1")))), fails: noKubelet},
	{cmd: `port-forward svc/web 8081:80`, objects: objs(service("web"), running(onGhostNode(pod("web-1")))), fails: noKubelet},
	{cmd: `port-forward deployment/web 8082`, objects: objs(deployment("web"), running(onGhostNode(pod("web-1")))), fails: noKubelet},

	// scale: get the object, patch its scale subresource
	{cmd: `scale deployment example-deployment -n example-namespace --replicas=0`, objects: objs(in("example-namespace", deployment("example-deployment")))},
	{cmd: `-n scale-prod scale deploy/example-deployment --replicas 3`, objects: objs(in("scale-prod", deployment("example-deployment")))},
	{cmd: `scale --replicas=0 --namespace=scale-db statefulset.apps/db`, objects: objs(in("scale-db", statefulSet("db")))},
	{cmd: `scale rs/a rs/b --replicas=2 -nscale-rs`, objects: objs(in("scale-rs", replicaSetOf("a")), in("scale-rs", replicaSetOf("b")))},
	{cmd: `scale deploy -l app=web --replicas=2`, objects: objs(deployment("web"))},
	{cmd: `scale deploy web --replicas=2 --current-replicas=1`, objects: objs(deployment("web"))},
	{cmd: `scale --replicas=3 --timeout=30s sts/db`, objects: objs(withReplicaStatus(statefulSet("db"), 3))},

	// rollout
	{cmd: `rollout restart deployment/web`, objects: objs(deployment("web"))},
	{cmd: `rollout restart deploy web -n rollout-prod`, objects: objs(in("rollout-prod", deployment("web")))},
	{cmd: `rollout restart deploy`, objects: objs(deployment("web"))},
	{cmd: `rollout restart ds/agent`, objects: objs(daemonSet("agent"))},
	{cmd: `rollout restart sts/db`, objects: objs(statefulSet("db"))},
	{cmd: `rollout status deploy/web --timeout=60s`, objects: objs(deployment("web"))},
	{cmd: `rollout status sts/db -w=false`, objects: objs(statefulSet("db"))},
	{cmd: `rollout status ds/agent`, objects: objs(daemonSet("agent"))},
	{cmd: `rollout undo deploy/web --to-revision=1`, objects: deploymentHistory("web")},
	{cmd: `rollout undo ds/agent`, objects: daemonSetHistory("agent")},
	{cmd: `rollout history deploy/web`, objects: deploymentHistory("web")},
	{cmd: `rollout history sts/db`, objects: statefulSetHistory("db")},
	{cmd: `rollout pause deploy/web`, objects: objs(deployment("web"))},
	{cmd: `rollout resume deploy/web`, objects: objs(paused(deployment("web")))},

	// delete: per object (no deletecollection), then a tolerant wait
	{cmd: `delete pod web-1`, objects: objs(pod("web-1"))},
	{cmd: `delete pods -l app=web`, objects: objs(pod("web-1"), pod("web-2"))},
	{cmd: `delete pods --all -n delete-tmp`, objects: objs(in("delete-tmp", pod("web-1")))},
	{cmd: `delete cm a b --wait=false`, objects: objs(configMap("a"), configMap("b"))},
	{cmd: `delete job old --ignore-not-found --now`, objects: objs(job("old"))},
	{cmd: `delete pod web-1 --dry-run=server`, objects: objs(pod("web-1"))},
	{cmd: `delete pods -A -l app=delete-everywhere`, objects: objs(pod("delete-everywhere-1"))},
	{cmd: `delete namespace delete-scratch --dry-run=server`},

	// patch, label, annotate: get, then patch
	{cmd: `patch deploy web -p '{"spec":{"replicas":3}}'`, objects: objs(deployment("web"))},
	{cmd: `patch deploy web --type=json -p='[{"op":"replace","path":"/spec/replicas","value":3}]' --dry-run=client`, objects: objs(deployment("web"))},
	{cmd: `patch pod web-1 --subresource=status --type=merge -p '{"status":{"message":"patched"}}'`, objects: objs(pod("web-1"))},
	{cmd: `label pod web-1 app=x --overwrite`, objects: objs(pod("web-1"))},
	{cmd: `label pods -l app=web tier-`, objects: objs(labeled(pod("web-1"), "tier", "front"))},
	{cmd: `label pod web-1 --list`, objects: objs(pod("web-1"))},
	{cmd: `label pods --all tier=web`, objects: objs(pod("web-1"))},
	{cmd: `annotate deploy web kubernetes.io/change-cause="deploy $(date)"`, objects: objs(deployment("web"))},
	{cmd: `label pod web-1 team=jobs --overwrite`, objects: objs(labeled(pod("web-1"), "team", "jobs")),
		unneeded: map[string]string{`patch pods "web-1" in namespace "$NS"`: "the pod already has the label: kubectl skips the patch (a re-run)"}},
	// Unlike label, annotate patches even when nothing changes.
	{cmd: `annotate --overwrite deployment/web owner=ops`, objects: objs(annotated(deployment("web"), "owner", "ops"))},

	// set: get, then patch the pod template
	{cmd: `set image deployment/web web=nginx:1.27`, objects: objs(deployment("web"))},
	{cmd: `set image deploy web web=nginx:2 -n set-prod`, objects: objs(in("set-prod", deployment("web"))),
		unneeded: map[string]string{`patch deployments.apps "web" in namespace "set-prod"`: "the container already runs nginx:2: kubectl skips the patch (a re-run)"}},
	{cmd: `set env deploy/web FOO=bar`, objects: objs(deployment("web"))},
	{cmd: `set env deploy/web --from=secret/creds`, objects: objs(deployment("web"), secret("creds"))},
	{cmd: `set env deploy/web --from=configmap/cfg`, objects: objs(deployment("web"), configMap("cfg"))},
	{cmd: `set resources deploy web --limits=cpu=1`, objects: objs(deployment("web"))},
	{cmd: `set serviceaccount deploy web bot`, objects: objs(deployment("web"))},
	{cmd: `set subject rolebinding rb --serviceaccount=set-subject:bot`, objects: objs(podReader("pod-reader"), roleBinding("rb", "pod-reader")),
		escalation: escalation, held: readPods("$NS")},

	// create, run, expose, autoscale: creates carry no name for RBAC
	{cmd: `create job manual-1 --from=cronjob/backup`, objects: objs(cronJob("backup")), created: objs(job("manual-1"))},
	{cmd: `create job backup-now --from=cronjob/backup -n create-db`, objects: objs(in("create-db", cronJob("backup"))), created: objs(in("create-db", job("backup-now")))},
	{cmd: `create job j --image=busybox -- echo hi`, created: objs(job("j"))},
	{cmd: `create cm cfg --from-literal=a=b`, created: objs(configMap("cfg"))},
	{cmd: `create secret generic s --from-literal=a=b`, created: objs(secret("s"))},
	{cmd: `create deployment web --image=nginx -r 3`, created: objs(deployment("web"))},
	{cmd: `create service clusterip web --tcp=80:80`, created: objs(service("web"))},
	{cmd: `create token bot --duration=1h`, objects: objs(serviceAccount("bot"))},
	{cmd: `create namespace create-scratch --dry-run=server`},
	// a binding: bind on its role (the mapping's Escalation request) gets past the escalation check
	{cmd: `create rolebinding rb --role=pod-reader --serviceaccount=create-rb:bot`, objects: objs(podReader("pod-reader")), created: objs(roleBinding("rb", "pod-reader"))},
	{cmd: `create clusterrolebinding envtest-crb --clusterrole=envtest-pod-reader --user=u`, objects: objs(clusterPodReader("envtest-pod-reader")), created: objs(clusterRoleBinding("envtest-crb"))},
	{cmd: `create role pod-reader --verb=get,list --resource=pods`, created: objs(role("pod-reader")),
		escalation: escalation, held: readPods("$NS")},
	{cmd: `create clusterrole envtest-pod-reader-2 --verb=get,list --resource=pods`, created: objs(clusterRole("envtest-pod-reader-2")),
		escalation: escalation, held: readPods("")},
	{cmd: `create poddisruptionbudget web --selector=app=web --min-available=1`, created: objs(pdb("web"))},
	{cmd: `create cronjob nightly --image=busybox --schedule="0 3 * * *" -- echo hi`, created: objs(cronJob("nightly"))},
	{cmd: `create serviceaccount bot`, created: objs(serviceAccount("bot"))},
	{cmd: `create quota q --hard=pods=10`, created: objs(&corev1.ResourceQuota{ObjectMeta: meta("q", nil)})},
	{cmd: `create ingress web --rule=example.com/=web:80`, created: objs(&networkingv1.Ingress{ObjectMeta: meta("web", nil)})},
	{cmd: `create priorityclass envtest-high --value=1000`, created: objs(&schedulingv1.PriorityClass{ObjectMeta: meta("envtest-high", nil)})},
	{cmd: `create secret docker-registry reg --docker-server=registry.example --docker-username=u --docker-password=p`, created: objs(secret("reg"))},
	{cmd: `create service nodeport np --tcp=80:80`, created: objs(service("np"))},
	{cmd: `run tmp --image=busybox --restart=Never -- sleep 1`, created: objs(pod("tmp"))},
	{cmd: `run web --image=nginx --port=80 --expose`, created: objs(pod("web"), service("web"))},
	{cmd: `expose deploy web --port=80`, objects: objs(deployment("web")), created: objs(service("web"))},
	{cmd: `autoscale deploy web --max=5`, objects: objs(deployment("web")), created: objs(hpa("web"))},

	// wait: a watch-list on each object; --timeout=0 gets once
	{cmd: `wait --for=condition=Available deploy/web --timeout=30s`, objects: objs(deployment("web"))},
	{cmd: `wait --for=delete pod/web-1 --timeout=1s`, objects: objs(pod("web-1")), fails: "timed out waiting"},
	{cmd: `wait --for=condition=Ready pods -l app=web`, objects: objs(running(pod("web-1"))),
		tolerated: map[string]string{`watch pods in namespace "$NS"`: "list is granted (the selector needs it): kubectl logs the refused watch and lists again after a backoff (client-go reflector: a 403 is not retriable, Run relists)"}},
	{cmd: `wait --for=jsonpath='{.status.phase}'=Running pod/web-1 --timeout=0`, objects: objs(running(pod("web-1")))},
	{cmd: `wait --for=create deploy/web`, objects: objs(deployment("web"))},

	// auth: the reviews are granted to every authenticated user
	{cmd: `auth can-i get pods`, fails: "no",
		unneeded: map[string]string{`create selfsubjectaccessreviews.authorization.k8s.io (cluster-scoped)`: "the system:basic-user ClusterRole grants it to every authenticated user"}},
	{cmd: `auth can-i --list -n auth-prod`,
		unneeded: map[string]string{`create selfsubjectrulesreviews.authorization.k8s.io (cluster-scoped)`: "the system:basic-user ClusterRole grants it to every authenticated user"}},
	{cmd: `auth whoami`,
		unneeded: map[string]string{`create selfsubjectreviews.authentication.k8s.io (cluster-scoped)`: "the system:basic-user ClusterRole grants it to every authenticated user"}},

	// top: metrics.k8s.io, served by a fake metrics-server (see startMetricsAPI)
	{cmd: `top pod`, metricsAPI: true},
	{cmd: `top pods web-1 -n top-prod`, metricsAPI: true},
	{cmd: `top pod -A --containers`, metricsAPI: true},
	{cmd: `top node`, objects: objs(node("top-node-1")), metricsAPI: true},
	{cmd: `top no top-node-2`, objects: objs(node("top-node-2")), metricsAPI: true},

	// nodes
	{cmd: `cordon cordon-node-1`, objects: objs(node("cordon-node-1")),
		tolerated: map[string]string{`patch nodes "cordon-node-1" (cluster-scoped)`: exitsZero}},
	{cmd: `uncordon uncordon-node-1`, objects: objs(cordoned(node("uncordon-node-1"))),
		tolerated: map[string]string{`patch nodes "uncordon-node-1" (cluster-scoped)`: exitsZero}},
	{cmd: `drain drain-node-1 --ignore-daemonsets --delete-emptydir-data`, objects: objs(node("drain-node-1")),
		tolerated: map[string]string{`patch nodes "drain-node-1" (cluster-scoped)`: exitsZero + ", yet drained"}},
	{cmd: `taint nodes taint-node-1 dedicated=x:NoSchedule`, objects: objs(node("taint-node-1"))},
	{cmd: `taint nodes taint-node-2 dedicated-`, objects: objs(tainted(node("taint-node-2"), "dedicated"))},
	{cmd: `cordon node/cordon-node-2`, objects: objs(node("cordon-node-2")),
		tolerated: map[string]string{`patch nodes "cordon-node-2" (cluster-scoped)`: exitsZero}},

	// events and cluster-info
	{cmd: `events`},
	{cmd: `events -A --watch`, runFor: 2 * time.Second},
	{cmd: `cluster-info`},
}

const (
	// escalation is why writing RBAC objects needs more than the mapping gives.
	escalation = "RBAC escalation prevention: writing a role or binding also needs bind on the role it references " +
		"(escalate on the role it writes), or holding the permissions granted; the command line does not tell what those are"
	// exitsZero is why cordon, uncordon and drain succeed without their patch.
	exitsZero = "kubectl 1.36 prints the refused patch but exits 0 (RunCordonOrUncordon returns nil); the node is not cordoned"
)

// readPods are the requests the pod-reader roles of the RBAC cases grant,
// in namespace ns ("" for a ClusterRole).
func readPods(ns string) []kubectl.Request {
	return []kubectl.Request{
		{Resource: "pods", Verb: "get", Namespace: ns},
		{Resource: "pods", Verb: "list", Namespace: ns},
	}
}

// noKubelet is how the API server fails a request it must pass to the
// kubelet of a pod on a node that does not exist.
const noKubelet = `"ghost-node" not found`

func objs(o ...client.Object) []client.Object { return o }

// in puts o in namespace ns.
func in[T client.Object](ns string, o T) T {
	o.SetNamespace(ns)
	return o
}

func labeled[T client.Object](o T, kv ...string) T {
	l := o.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		l[kv[i]] = kv[i+1]
	}
	o.SetLabels(l)
	return o
}

func annotated[T client.Object](o T, kv ...string) T {
	a := o.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i]] = kv[i+1]
	}
	o.SetAnnotations(a)
	return o
}

// ownedBy makes kind/name (in o's namespace, created before o) o's controller.
func ownedBy[T client.Object](kind, name string, o T) T {
	o.SetOwnerReferences([]metav1.OwnerReference{{Kind: kind, Name: name, Controller: ptr.To(true)}})
	return o
}

func meta(name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: labels}
}

func template(container, image string, labels map[string]string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: container, Image: image,
			Ports: []corev1.ContainerPort{{ContainerPort: 80}}}}},
	}
}

// pod is a pending pod with one container named after it (without a -N
// suffix), labelled app=<that name>, on no node.
func pod(name string) *corev1.Pod {
	app := appName(name)
	return &corev1.Pod{
		ObjectMeta: meta(name, map[string]string{"app": app}),
		Spec:       template(app, "nginx", nil).Spec,
	}
}

func appName(name string) string {
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '-' {
			return name[:i]
		}
		if name[i] < '0' || name[i] > '9' {
			break
		}
	}
	return name
}

// onGhostNode schedules p to a node that does not exist, so that the API
// server authorizes exec, attach, port-forward and logs, then fails to
// reach the kubelet.
func onGhostNode(p *corev1.Pod) *corev1.Pod {
	p.Spec.NodeName = "ghost-node"
	return p
}

// running marks p Running and Ready.
func running(p *corev1.Pod) *corev1.Pod {
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
		{Type: corev1.PodReady, Status: corev1.ConditionTrue},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue},
	}}
	return p
}

// deployment is a rolled out Deployment of one replica, selecting app=name,
// with a container named name running nginx:2 at revision 2.
func deployment(name string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels,
			Annotations: map[string]string{"deployment.kubernetes.io/revision": "2"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: template(name, "nginx:2", labels),
		},
		Status: appsv1.DeploymentStatus{
			ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1,
			Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"},
			},
		},
	}
}

func paused(d *appsv1.Deployment) *appsv1.Deployment {
	d.Spec.Paused = true
	return d
}

// replicaSet is revision rev of Deployment name, running image.
func replicaSet(deploy, rev, image string) *appsv1.ReplicaSet {
	labels := map[string]string{"app": deploy, "pod-template-hash": "rev" + rev}
	return ownedBy("Deployment", deploy, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: deploy + "-rev" + rev, Labels: labels,
			Annotations: map[string]string{"deployment.kubernetes.io/revision": rev}},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: template(deploy, image, labels),
		},
	})
}

// replicaSetOf is a bare ReplicaSet selecting app=name.
func replicaSetOf(name string) *appsv1.ReplicaSet {
	labels := map[string]string{"app": name}
	return &appsv1.ReplicaSet{
		ObjectMeta: meta(name, labels),
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: template(name, "nginx", labels),
		},
	}
}

// statefulSet is a rolled out StatefulSet of one replica.
func statefulSet(name string) *appsv1.StatefulSet {
	labels := map[string]string{"app": name}
	return &appsv1.StatefulSet{
		ObjectMeta: meta(name, labels),
		Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: template(name, "postgres:1", labels),
		},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, Replicas: 1, ReadyReplicas: 1, CurrentReplicas: 1,
			UpdatedReplicas: 1, AvailableReplicas: 1, CurrentRevision: name + "-2", UpdateRevision: name + "-2"},
	}
}

// daemonSet is a rolled out DaemonSet running image agent:2 on no node.
func daemonSet(name string) *appsv1.DaemonSet {
	labels := map[string]string{"app": name}
	return &appsv1.DaemonSet{
		ObjectMeta: meta(name, labels),
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: template(name, name+":2", labels),
		},
		Status: appsv1.DaemonSetStatus{ObservedGeneration: 1},
	}
}

// controllerRevision is revision rev of the pod template of DaemonSet or
// StatefulSet owner (of that kind), running image.
func controllerRevision(kind, owner string, rev int64, image string) *appsv1.ControllerRevision {
	labels := map[string]string{"app": owner}
	data := `{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"` + owner + `"}},` +
		`"spec":{"containers":[{"name":"` + owner + `","image":"` + image + `"}]}}}}`
	return ownedBy(kind, owner, &appsv1.ControllerRevision{
		ObjectMeta: meta(owner+"-"+string(rune('0'+rev)), labels),
		Data:       runtime.RawExtension{Raw: []byte(data)},
		Revision:   rev,
	})
}

// job runs pods labelled app=name (a manual selector, so that fixtures can
// label its pods).
func job(name string) *batchv1.Job {
	labels := map[string]string{"app": name}
	t := template(name, "busybox", labels)
	t.Spec.RestartPolicy = corev1.RestartPolicyNever
	return &batchv1.Job{
		ObjectMeta: meta(name, labels),
		Spec: batchv1.JobSpec{ManualSelector: ptr.To(true), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: t},
	}
}

func cronJob(name string) *batchv1.CronJob {
	t := template(name, "busybox", nil)
	t.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	return &batchv1.CronJob{
		ObjectMeta: meta(name, nil),
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: t}}},
	}
}

func configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: meta(name, nil), Data: map[string]string{"KEY": "value"}}
}

func secret(name string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: meta(name, nil), StringData: map[string]string{"PASSWORD": "x"}}
}

// service selects app=name on port 80.
func service(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: meta(name, nil),
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Port: 80}}},
	}
}

func serviceAccount(name string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: meta(name, nil)}
}

func node(name string) *corev1.Node {
	return &corev1.Node{ObjectMeta: meta(name, nil)}
}

func cordoned(n *corev1.Node) *corev1.Node {
	n.Spec.Unschedulable = true
	return n
}

func tainted(n *corev1.Node, key string) *corev1.Node {
	n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Value: "x", Effect: corev1.TaintEffectNoSchedule})
	return n
}

// roleBinding binds Role role to nobody.
func roleBinding(name, role string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: meta(name, nil),
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role}}
}

func clusterRoleBinding(name string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: meta(name, nil)}
}

var podRules = []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}}

// podReader is a Role that reads pods.
func podReader(name string) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: meta(name, nil), Rules: podRules}
}

func clusterPodReader(name string) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: meta(name, nil), Rules: podRules}
}

func hpa(name string) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: meta(name, nil)}
}

func container(p *corev1.Pod, name string) *corev1.Pod {
	p.Spec.Containers[0].Name = name
	return p
}

func withReplicaStatus(s *appsv1.StatefulSet, n int32) *appsv1.StatefulSet {
	s.Status.Replicas, s.Status.CurrentReplicas, s.Status.UpdatedReplicas = n, n, n
	return s
}

// deploymentHistory is Deployment name at revision 2 (nginx:2) with the
// ReplicaSets of revisions 1 (nginx:1) and 2.
func deploymentHistory(name string) []client.Object {
	return objs(deployment(name), replicaSet(name, "1", "nginx:1"), replicaSet(name, "2", "nginx:2"))
}

// daemonSetHistory is DaemonSet name at revision 2 with the
// ControllerRevisions of revisions 1 and 2.
func daemonSetHistory(name string) []client.Object {
	return objs(daemonSet(name), controllerRevision("DaemonSet", name, 1, name+":1"), controllerRevision("DaemonSet", name, 2, name+":2"))
}

func statefulSetHistory(name string) []client.Object {
	return objs(statefulSet(name), controllerRevision("StatefulSet", name, 1, "postgres:1"), controllerRevision("StatefulSet", name, 2, "postgres:2"))
}

func role(name string) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: meta(name, nil)}
}

func clusterRole(name string) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: meta(name, nil)}
}

func pdb(name string) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{ObjectMeta: meta(name, nil)}
}

package kubectl_test

import (
	"fmt"

	"github.com/jobguard/jobguard/policies/kubectl"
)

func Example() {
	command := []string{"sh", "-c", "kubectl scale deployment example-deployment -n example-namespace --replicas=0"}
	for _, inv := range kubectl.Find(command, nil) {
		reqs, err := inv.Requests("jobs")
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(inv.Text)
		for _, r := range reqs {
			fmt.Println(" ", r.Rule())
		}
	}
	// Output:
	// kubectl scale deployment example-deployment -n example-namespace --replicas=0
	//   {apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"], resourceNames: ["example-deployment"]}
	//   {apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["patch"], resourceNames: ["example-deployment"]}
}

func ExampleAnalyze() {
	script := `NS=redis
kubectl exec example-redis -n $NS -- redis-cli flushall
kubectl delete pod "$(hostname)" --wait=false`
	for _, res := range kubectl.Analyze([]string{"bash", "-c", script}, nil, "jobs") {
		fmt.Printf("%s (offset %d)\n", res.Invocation.Text, res.Invocation.Position.Offset)
		for _, r := range res.Requests {
			fmt.Println(" ", r)
		}
	}
	// Output:
	// kubectl exec example-redis -n $NS -- redis-cli flushall (offset 9)
	//   get pods "example-redis" in namespace "redis"
	//   get pods/exec "example-redis" in namespace "redis" (optional)
	//   create pods/exec "example-redis" in namespace "redis"
	// kubectl delete pod "$(hostname)" --wait=false (offset 65)
	//   delete pods in namespace "jobs"
}

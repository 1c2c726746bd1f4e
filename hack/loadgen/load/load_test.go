package load

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	var all []time.Duration
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		// Log-uniform from 10µs to 1s, like latencies with a long tail.
		d := time.Duration(10e3 * float64(uint64(1)<<rng.IntN(17)) * (1 + rng.Float64()))
		h.Record(d)
		all = append(all, d)
	}
	slices.Sort(all)
	for _, q := range []float64{0, .5, .9, .99, .999, 1} {
		i := int(q*float64(len(all))+0.999999) - 1
		want := all[max(i, 0)]
		got := h.Quantile(q)
		if rel := float64(got-want) / float64(want); rel > 0.005 || rel < -0.005 {
			t.Errorf("q%g = %v, want %v within 0.5%% (%.3f%%)", q, got, want, rel*100)
		}
	}
	if h.Count() != uint64(len(all)) || h.Min() != all[0] || h.Max() != all[len(all)-1] {
		t.Errorf("count %d min %v max %v, want %d %v %v", h.Count(), h.Min(), h.Max(), len(all), all[0], all[len(all)-1])
	}
	var a, b Histogram
	for i, d := range all {
		if i%2 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(&b)
	if a.Quantile(.99) != h.Quantile(.99) || a.Count() != h.Count() || a.Max() != h.Max() {
		t.Errorf("merged p99 %v count %d, want %v %d", a.Quantile(.99), a.Count(), h.Quantile(.99), h.Count())
	}
}

func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 255, 256, 257, 511, 512, 1e3, 1e6, 1e9, 1e12, histMaxValue, histMaxValue + 1, 1 << 62} {
		i := histIndex(v)
		if i < prev || i >= histBuckets {
			t.Fatalf("index(%d) = %d after %d, out of order or range", v, i, prev)
		}
		prev = i
		lo, w := histBucket(i)
		if v <= histMaxValue && (v < lo || v >= lo+w) {
			t.Errorf("%d is in bucket %d = [%d, %d)", v, i, lo, lo+w)
		}
		if v >= 256 && float64(w)/float64(lo) > 1.0/128 {
			t.Errorf("bucket %d of %d is %d wide, over 1/128", i, v, w)
		}
	}
}

func TestParseTargetRefusesAnythingButLoopback(t *testing.T) {
	for _, ok := range []string{"https://127.0.0.1:9443", "https://127.1.2.3:1/x", "https://[::1]:9443", "https://localhost:9443"} {
		tg, err := ParseTarget(ok, "https")
		if err != nil {
			t.Errorf("%s: %v", ok, err)
			continue
		}
		if !strings.HasPrefix(tg.DialAddr, "127.") && !strings.HasPrefix(tg.DialAddr, "[::1]") {
			t.Errorf("%s dials %s", ok, tg.DialAddr)
		}
	}
	for _, bad := range []string{
		"https://10.0.0.1:9443", "https://192.168.1.1", "https://0.0.0.0:9443", "https://[::]:9443",
		"https://8.8.8.8:443", "https://[2001:db8::1]:443", "http://127.0.0.1:9443", "https://:9443", "127.0.0.1:9443",
		"https://jobguard-webhook.jobguard.svc:443", // does not resolve here, and would not be loopback
	} {
		if _, err := ParseTarget(bad, "https"); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
	if _, err := Run(context.Background(), Options{URL: "https://10.1.2.3:9443", Bodies: []Body{{}}}); err == nil {
		t.Error("Run accepted a non-loopback target")
	}
	if _, err := MetricsRSS(context.Background(), "http://10.1.2.3:8080/metrics"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("MetricsRSS of a non-loopback URL: %v", err)
	}
}

func TestRunBounds(t *testing.T) {
	for _, o := range []Options{
		{Duration: MaxDuration + time.Second},
		{Warmup: MaxWarmup + time.Second},
		{Workers: MaxWorkers + 1},
		{Rate: -1},
	} {
		o.URL, o.Bodies = "https://127.0.0.1:1", []Body{{}}
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("%+v was accepted", o)
		}
	}
}

func TestMix(t *testing.T) {
	bodies, err := MixFrom("")
	if err != nil {
		t.Fatal(err)
	}
	kinds, ops, paths, dry := map[string]int{}, map[string]int{}, map[string]int{}, 0
	for i := range bodies {
		b := &bodies[i]
		kinds[b.Kind]++
		ops[b.Operation]++
		paths[b.Path]++
		if b.DryRun {
			dry++
		}
		uid := "01234567-0000-4000-8000-0123456789ab"
		var ar struct {
			Request struct {
				UID       string          `json:"uid"`
				Operation string          `json:"operation"`
				DryRun    bool            `json:"dryRun"`
				Object    json.RawMessage `json:"object"`
				OldObject json.RawMessage `json:"oldObject"`
			} `json:"request"`
		}
		if err := json.Unmarshal(b.Fill(uid), &ar); err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		r := ar.Request
		hasOld := len(r.OldObject) > 0 && string(r.OldObject) != "null" // the API server's types encode an absent one as null
		if r.UID != uid || r.Operation != b.Operation || r.DryRun != b.DryRun || len(r.Object) == 0 || hasOld != (b.Operation == "UPDATE") {
			t.Errorf("%s: uid %s operation %s dryRun %v object %.40s oldObject %.40s", b.Name, r.UID, r.Operation, r.DryRun, r.Object, r.OldObject)
		}
	}
	for _, k := range []string{"Job", "CronJob", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"} {
		if kinds[k] == 0 {
			t.Errorf("no %s in the mix: %v", k, kinds)
		}
	}
	if ops["CREATE"] == 0 || ops["UPDATE"] == 0 || paths[ValidatePath] == 0 || paths[MutatePath] == 0 || dry == 0 {
		t.Errorf("mix: operations %v, paths %v, %d dry runs", ops, paths, dry)
	}
	t.Logf("%d reviews: %v %v %v, %d dry runs", len(bodies), kinds, ops, paths, dry)
}

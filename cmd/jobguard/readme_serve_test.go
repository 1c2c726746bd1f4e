package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jobguard/jobguard/certs"
	"github.com/jobguard/jobguard/internal/testkit"
)

// TestReadmeServeExample sends the README's review (section "Run the webhook") to `jobguard
// serve` started as the README starts it (no cluster, no configuration) and compares the answer
// with the README's expected output, which is abridged: the fields it shows must be the server's.
func TestReadmeServeExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "Locally, without a cluster")
	request := regexp.MustCompile(`(?s)/validate -d '(\{.*?\})'\n`).FindStringSubmatch(section)
	expected := regexp.MustCompile("(?s)```json\n(.*?)```").FindStringSubmatch(section)
	if request == nil || expected == nil {
		t.Fatal("README: no review (curl … /validate -d '…') or no expected answer (```json) after \"Locally, without a cluster\"")
	}
	var want struct{ Response map[string]any }
	if err := json.Unmarshal([]byte(expected[1]), &want); err != nil || want.Response == nil {
		t.Fatalf("README's expected answer is not an AdmissionReview: %v\n%s", err, expected[1])
	}

	certDir := t.TempDir()
	pool := testkit.ServingCert(t, certDir, certs.GenerateOptions{})
	addr, health, metrics := testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)
	config := t.TempDir() + "/.jobguard.yaml" // empty: the defaults, as in a directory without one
	if err := os.WriteFile(config, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := serve(ctx, "--addr", addr, "--cert-dir", certDir, "--config", config,
			"--health-addr", health, "--metrics-addr", metrics, "--shutdown-drain", "0s")
		done <- err
	}()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + health + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("serve is not ready after 15 s")
		}
	}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Post("https://"+addr+"/validate", "application/json", strings.NewReader(request[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Response map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"uid", "allowed", "warnings"} {
		if !reflect.DeepEqual(got.Response[key], want.Response[key]) {
			t.Errorf("response.%s = %v, README shows %v", key, got.Response[key], want.Response[key])
		}
	}
	// "and the metrics count it: `…`"
	if count := regexp.MustCompile("the metrics count it: `([^`]+)`").FindStringSubmatch(section); count == nil {
		t.Error("README: no metric line after \"the metrics count it\"")
	} else if m, err := http.Get("http://" + metrics + "/metrics"); err != nil {
		t.Error(err)
	} else {
		exposition, _ := io.ReadAll(m.Body)
		m.Body.Close()
		if !strings.Contains(string(exposition), "\n"+count[1]+"\n") {
			t.Errorf("/metrics lacks the README's %q", count[1])
		}
	}
	gotStatus, _ := got.Response["status"].(map[string]any)
	wantStatus, _ := want.Response["status"].(map[string]any)
	for key, v := range wantStatus {
		if !reflect.DeepEqual(gotStatus[key], v) {
			t.Errorf("response.status.%s = %v, README shows %v", key, gotStatus[key], v)
		}
	}
}

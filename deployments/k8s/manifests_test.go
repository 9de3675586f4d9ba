package k8s

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tributarydata/tributary/bus/worker"
)

// object is the part of a manifest the test reads.
type object struct {
	Kind     string                `yaml:"kind"`
	Metadata struct{ Name string } `yaml:"metadata"`
	Data     map[string]string     `yaml:"data"`
	Spec     struct {
		ServiceName string         `yaml:"serviceName"`
		ClusterIP   string         `yaml:"clusterIP"`
		Selector    map[string]any `yaml:"selector"`
		Template    struct {
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				Containers                    []struct {
					Args           []string `yaml:"args"`
					ReadinessProbe struct {
						HTTPGet struct{ Path string } `yaml:"httpGet"`
					} `yaml:"readinessProbe"`
				} `yaml:"containers"`
				Volumes []struct {
					ConfigMap struct{ Name string } `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func load(t *testing.T) map[string]object {
	t.Helper()
	out := map[string]object{}
	files, _ := filepath.Glob("*.yaml")
	for _, f := range files {
		if f == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var o object
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out[o.Kind+"/"+o.Metadata.Name] = o
		}
	}
	return out
}

// TestManifestsRunAWorkerCluster checks the manifests against the worker:
// the ConfigMap's worker.yaml is a valid worker config, readiness is GET /health, and the
// headless service the advertised URLs name exists.
func TestManifestsRunAWorkerCluster(t *testing.T) {
	objs := load(t)
	cm, ok := objs["ConfigMap/tributary-worker"]
	if !ok {
		t.Fatalf("no ConfigMap tributary-worker in %v", objs)
	}
	path := filepath.Join(t.TempDir(), "worker.yaml")
	if err := os.WriteFile(path, []byte(cm.Data["worker.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := worker.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ID = "tributary-0"
	if _, err := worker.New(cfg, nil, nil, nil); err != nil {
		t.Fatalf("the ConfigMap's worker.yaml is not a valid worker config: %v", err)
	}
	if cfg.Listen != "0.0.0.0:8083" || cfg.ShutdownTimeout <= 0 {
		t.Fatalf("worker.yaml listen %q shutdown %v", cfg.Listen, cfg.ShutdownTimeout)
	}

	sts, ok := objs["StatefulSet/tributary"]
	if !ok {
		t.Fatal("no StatefulSet tributary")
	}
	pod := sts.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.ReadinessProbe.HTTPGet.Path != "/health" {
		t.Fatalf("readiness probe %q, want /health", c.ReadinessProbe.HTTPGet.Path)
	}
	if len(c.Args) == 0 || c.Args[0] != "worker" {
		t.Fatalf("args %v do not run a worker", c.Args)
	}
	// cmd/tributary's tests parse these arguments with the worker's own flags.
	if pod.TerminationGracePeriodSeconds <= int(cfg.ShutdownTimeout.Seconds()) {
		t.Errorf("terminationGracePeriodSeconds %d leaves no time beyond shutdown.timeout %v", pod.TerminationGracePeriodSeconds, cfg.ShutdownTimeout)
	}
	if len(pod.Volumes) != 1 || pod.Volumes[0].ConfigMap.Name != "tributary-worker" {
		t.Errorf("volumes %+v do not mount the worker ConfigMap", pod.Volumes)
	}
	headless, ok := objs["Service/"+sts.Spec.ServiceName]
	if !ok || headless.Spec.ClusterIP != "None" {
		t.Fatalf("the StatefulSet's service %q is missing or not headless", sts.Spec.ServiceName)
	}
	if !strings.Contains(strings.Join(c.Args, " "), sts.Spec.ServiceName) {
		t.Errorf("the advertised URL does not use the headless service %s: %v", sts.Spec.ServiceName, c.Args)
	}
	if _, ok := objs["Service/tributary"]; !ok {
		t.Error("no client-facing Service tributary")
	}
}

package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestKubernetesArgumentsAreWorkerFlags parses the StatefulSet's container
// arguments with the worker's own flag set, over the ConfigMap's config, so
// the manifests cannot drift from the binary.
func TestKubernetesArgumentsAreWorkerFlags(t *testing.T) {
	dir := filepath.Join("..", "..", "deployments", "k8s")
	var sts struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct{ Args []string } `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	var cm struct{ Data map[string]string }
	for file, into := range map[string]any{"statefulset.yaml": &sts, "configmap.yaml": &cm} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, into); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	args := sts.Spec.Template.Spec.Containers[0].Args
	if args[0] != "worker" {
		t.Fatalf("args %v do not run a worker", args)
	}
	cfgPath := filepath.Join(t.TempDir(), "worker.yaml")
	if err := os.WriteFile(cfgPath, []byte(cm.Data["worker.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	expand := strings.NewReplacer("$(POD_NAME)", "tributary-1", "$(POD_NAMESPACE)", "edu", "/etc/tributary/worker.yaml", cfgPath)
	var flags []string
	for _, a := range args[1:] {
		flags = append(flags, expand.Replace(a))
	}
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	config := workerFlags(fs)
	if err := fs.Parse(flags); err != nil {
		t.Fatalf("the StatefulSet's arguments are not worker flags: %v", err)
	}
	cfg, err := config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ID != "tributary-1" || cfg.AdvertisedURL != "http://tributary-1.tributary-workers.edu.svc:8083" || cfg.Group != "edu-warehouse" {
		t.Fatalf("id %q url %q group %q", cfg.ID, cfg.AdvertisedURL, cfg.Group)
	}
}

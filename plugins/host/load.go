package host

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tributarydata/tributary/plugins/internal/pluginrpc"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// Load starts the plugin binary at path, asks which plugins it offers, stops
// it, and returns them as sdk.Plugin values for the worker's registry. Their
// constructors return adapters that start a process of the binary per task
// instance; their ValidateConfig and TaskConfigs ask a short-lived one.
// Errors name the binary.
func Load(ctx context.Context, path string, opts Options) ([]sdk.Plugin, error) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	l := newLauncher(path, opts)
	var resp *pluginrpc.DescribeResponse
	err := l.once(ctx, opts.timeout(), "Describe", func(ctx context.Context, c *pluginrpc.Client) (err error) {
		resp, err = c.Describe(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(resp.Plugins) == 0 {
		return nil, fmt.Errorf("plugin %s offers no plugin", path)
	}
	out := make([]sdk.Plugin, 0, len(resp.Plugins))
	for _, d := range resp.Plugins {
		p, err := l.plugin(d)
		if err != nil {
			return nil, fmt.Errorf("plugin %s: %w", path, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// once runs one call in a process of its own.
func (l *launcher) once(ctx context.Context, timeout time.Duration, method string, do func(context.Context, *pluginrpc.Client) error) error {
	p, err := l.start(timeout)
	if err != nil {
		return err
	}
	defer p.stop()
	return p.call(ctx, method, timeout, func(ctx context.Context) error { return do(ctx, p.rpc) })
}

// plugin turns a description into the registry's sdk.Plugin.
func (l *launcher) plugin(d pluginrpc.Descriptor) (sdk.Plugin, error) {
	own := hostKeys(0)
	keys := make([]sdk.ConfigKey, 0, len(d.ConfigKeys)+len(own))
	for _, k := range d.ConfigKeys {
		if slices.ContainsFunc(own, func(h sdk.ConfigKey) bool { return h.Name == k.Name }) {
			return sdk.Plugin{}, fmt.Errorf("plugin %s defines the key %s, which the worker sets for every external plugin", d.Class, k.Name)
		}
		deps := k.Dependents
		if deps == nil {
			deps = []string{} // Kafka Connect clients expect a list
		}
		keys = append(keys, sdk.ConfigKey{
			Name: k.Name, Type: k.Type, Required: k.Required, DefaultValue: k.DefaultValue,
			Importance: k.Importance, Documentation: k.Documentation, Group: k.Group, Width: k.Width,
			DisplayName: k.DisplayName, Dependents: deps, Order: k.Order, Enum: k.Enum,
		})
	}
	keys = append(keys, hostKeys(len(keys))...)
	class := d.Class
	p := sdk.Plugin{
		Class: class, Aliases: d.Aliases, Type: sdk.Type(d.Type), Version: d.Version, Summary: d.Summary,
		ConfigKeys: keys, Singleton: d.Singleton,
		ValidateConfig: func(cfg sdk.Config) map[string][]string { return l.validate(class, keys, cfg) },
	}
	if d.TaskConfigs {
		p.TaskConfigs = func(cfg sdk.Config, maxTasks int) ([]sdk.Config, error) {
			return l.taskConfigs(class, cfg, maxTasks)
		}
	}
	in := func() instance { return instance{l: l, class: class} }
	switch p.Type {
	case sdk.TypeSource:
		p.NewSource = func() sdk.Source { return &remoteSource{instance: in()} }
	case sdk.TypeSink:
		// The runtime asks the sink itself whether it keeps offsets.
		if d.OffsetKeeper {
			p.NewSink = func() sdk.Sink { return &remoteKeeperSink{remoteSink{instance: in()}} }
		} else {
			p.NewSink = func() sdk.Sink { return &remoteSink{instance: in()} }
		}
	case sdk.TypeTransform:
		p.NewTransform = func() sdk.Transform { return &remoteTransform{instance: in()} }
	default:
		return p, fmt.Errorf("plugin %s has the unknown type %q", class, d.Type)
	}
	return p, p.Check()
}

// validate is an external plugin's ValidateConfig: the host's keys, then
// what the plugin says.
func (l *launcher) validate(class string, keys []sdk.ConfigKey, cfg sdk.Config) map[string][]string {
	bad := sdk.Validate(&hostConfig{}, cfg)
	var resp *pluginrpc.ValidateResponse
	err := l.once(context.Background(), callTimeout(cfg), "Validate", func(ctx context.Context, c *pluginrpc.Client) (err error) {
		resp, err = c.Validate(ctx, &pluginrpc.ConfigRequest{Class: class, Config: cfg})
		return err
	})
	if err == nil {
		err = fromWire(resp.Err)
	}
	if err != nil {
		bad["connector.class"] = append(bad["connector.class"], fmt.Sprintf("the plugin could not check the config: %v", err))
		return bad
	}
	// The worker checks the described keys (required, enumerations) itself;
	// the plugin's words for the same problems would say it twice.
	flagged := sdk.Plugin{ConfigKeys: keys}.Problems(cfg)
	for k, msgs := range resp.Problems {
		if len(flagged[k]) == 0 {
			bad[k] = append(bad[k], msgs...)
		}
	}
	return bad
}

func (l *launcher) taskConfigs(class string, cfg sdk.Config, maxTasks int) ([]sdk.Config, error) {
	var resp *pluginrpc.TaskConfigsResponse
	err := l.once(context.Background(), callTimeout(cfg), "TaskConfigs", func(ctx context.Context, c *pluginrpc.Client) (err error) {
		resp, err = c.TaskConfigs(ctx, &pluginrpc.ConfigRequest{Class: class, Config: cfg, MaxTasks: maxTasks})
		return err
	})
	if err == nil {
		err = fromWire(resp.Err)
	}
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Config, len(resp.Configs))
	for i, c := range resp.Configs {
		out[i] = sdk.Config(c)
	}
	return out, nil
}

// Discover loads every plugin binary in dirs: the executable files directly
// in each directory and, as Kafka Connect's plugin.path allows, those one
// level down (a directory per plugin, with its README and licence beside the
// binary). Hidden entries are skipped. A binary that fails to load (not a
// plugin, another protocol version, a crash) or offers a class an earlier
// binary already offers is left out and reported, with its path, in the
// errors: one broken file must not keep the worker from starting.
func Discover(ctx context.Context, dirs []string, opts Options) ([]sdk.Plugin, []error) {
	var bins []string
	var errs []error
	for _, dir := range dirs {
		found, ferrs := executables(dir)
		bins = append(bins, found...)
		errs = append(errs, ferrs...)
	}
	loaded := make([][]sdk.Plugin, len(bins))
	failed := make([]error, len(bins))
	var wg sync.WaitGroup
	limit := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, bin := range bins {
		wg.Go(func() {
			limit <- struct{}{}
			defer func() { <-limit }()
			loaded[i], failed[i] = Load(ctx, bin, opts)
		})
	}
	wg.Wait()

	owner := map[string]string{} // class or alias → binary
	var out []sdk.Plugin
	for i, bin := range bins {
		if failed[i] != nil {
			errs = append(errs, failed[i])
			continue
		}
		if name, clash := firstClash(loaded[i], owner); clash {
			errs = append(errs, fmt.Errorf("plugin %s: class %q is already offered by %s, so this binary is skipped", bin, name, owner[name]))
			continue
		}
		for _, p := range loaded[i] {
			for _, name := range append([]string{p.Class}, p.Aliases...) {
				owner[name] = bin
			}
		}
		out = append(out, loaded[i]...)
	}
	return out, errs
}

func firstClash(plugins []sdk.Plugin, owner map[string]string) (string, bool) {
	for _, p := range plugins {
		for _, name := range append([]string{p.Class}, p.Aliases...) {
			if _, taken := owner[name]; taken {
				return name, true
			}
		}
	}
	return "", false
}

// executables lists the executable regular files of dir and of its
// subdirectories, sorted, so discovery is the same on every worker.
func executables(dir string) ([]string, []error) {
	var out []string
	var errs []error
	var scan func(dir string, depth int)
	scan = func(dir string, depth int) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("plugin.path: %w", err))
			return
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			path := filepath.Join(dir, e.Name())
			info, err := os.Stat(path) // follows links, as exec does
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("plugin.path: %w", err))
			case info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0:
				out = append(out, path)
			case info.IsDir() && depth == 0:
				scan(path, 1)
			}
		}
	}
	scan(dir, 0)
	return out, errs
}

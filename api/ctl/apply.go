package ctl

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/tributarydata/tributary/api/client"
)

// Action is what Apply did (or, in a dry run, would do) to a connector.
type Action string

// Actions of Apply.
const (
	ActionCreated   Action = "created"
	ActionUpdated   Action = "updated"
	ActionUnchanged Action = "unchanged"
)

// ApplyResult is the outcome for one connector.
type ApplyResult struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	Action Action `json:"action"`
	// Changed lists the keys that differ from the server's config (for an
	// update); a key the server shows as "[hidden]" counts as changed.
	Changed []string `json:"changed,omitempty"`
	DryRun  bool     `json:"dry_run,omitempty"`
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// DryRun validates and compares but changes nothing.
	DryRun bool
}

// InvalidConfigError lists the connectors whose configs the server found
// invalid; Apply changes nothing when it returns one.
type InvalidConfigError struct {
	Connectors []InvalidConnector
}

// InvalidConnector is one connector with its field errors.
type InvalidConnector struct {
	Name   string
	File   string
	Class  string
	Errors []client.FieldError
}

func (e *InvalidConfigError) Error() string {
	var b strings.Builder
	n := 0
	for _, c := range e.Connectors {
		n += len(c.Errors)
	}
	fmt.Fprintf(&b, "%d invalid connector config(s), %d error(s); nothing applied", len(e.Connectors), n)
	for _, c := range e.Connectors {
		for _, fe := range c.Errors {
			fmt.Fprintf(&b, "\n  %s: connector %q: %s: %s", c.File, c.Name, fe.Key, fe.Message)
		}
	}
	return b.String()
}

// Apply creates or updates connectors so the cluster runs conns, idempotently.
// First every config is validated (PUT /connector-plugins/{class}/config/validate);
// if any is invalid Apply returns an *InvalidConfigError and changes nothing.
// Then, in order, each connector's current config is read: a connector that
// does not exist is created, one whose config differs is updated (both by
// PUT /connectors/{name}/config), one whose config is equal is left alone.
// The server masks secrets as "[hidden]"; such a key cannot be compared and
// counts as changed, so a connector with secrets is always put again and
// reported as updated.
// A wanted value equal to the mask is refused before anything is sent.
// On an error Apply returns the results of the connectors done so far.
func Apply(ctx context.Context, c *client.Client, conns []Connector, opts ApplyOptions) ([]ApplyResult, error) {
	var invalid []InvalidConnector
	for _, conn := range conns {
		class := conn.Config["connector.class"]
		if class == "" {
			return nil, fmt.Errorf(`%s: connector %q: config has no "connector.class"`, conn.File, conn.Name)
		}
		for _, k := range sortedKeys(conn.Config) {
			if conn.Config[k] == hiddenValue {
				// Putting it would replace the secret with the mask.
				return nil, fmt.Errorf(`%s: connector %q: config %q is %q, the API's mask of a secret`, conn.File, conn.Name, k, hiddenValue)
			}
		}
		cfg := maps.Clone(conn.Config)
		cfg["name"] = conn.Name
		res, err := c.ValidateConfig(ctx, class, cfg)
		if err != nil {
			return nil, fmt.Errorf("%s: connector %q: validate against %s: %w", conn.File, conn.Name, class, err)
		}
		if !res.Valid() {
			errs := res.FieldErrors()
			if len(errs) == 0 { // error_count without per-key errors
				errs = []client.FieldError{{Key: "(config)", Message: fmt.Sprintf("%d error(s)", res.ErrorCount)}}
			}
			invalid = append(invalid, InvalidConnector{Name: conn.Name, File: conn.File, Class: class, Errors: errs})
		}
	}
	if len(invalid) > 0 {
		return nil, &InvalidConfigError{Connectors: invalid}
	}

	results := make([]ApplyResult, 0, len(conns))
	for _, conn := range conns {
		r := ApplyResult{Name: conn.Name, File: conn.File, DryRun: opts.DryRun}
		current, err := c.ConnectorConfig(ctx, conn.Name)
		switch {
		case client.IsNotFound(err):
			r.Action = ActionCreated
		case err != nil:
			return results, fmt.Errorf("%s: connector %q: read current config: %w", conn.File, conn.Name, err)
		default:
			r.Changed = changedKeys(current, conn.Config)
			r.Action = ActionUnchanged
			if len(r.Changed) > 0 {
				r.Action = ActionUpdated
			}
		}
		if r.Action != ActionUnchanged && !opts.DryRun {
			_, created, err := c.PutConnectorConfig(ctx, conn.Name, conn.Config)
			if err != nil {
				return results, fmt.Errorf("%s: connector %q: %w", conn.File, conn.Name, err)
			}
			// The server's answer wins: the connector may have been created
			// or deleted by someone else since we read it.
			r.Action = ActionUpdated
			if created {
				r.Action = ActionCreated
			}
		}
		results = append(results, r)
	}
	return results, nil
}

// changedKeys returns the keys whose values differ between the server's
// config and the wanted one, "name" aside (the server adds it). A key the
// server shows as "[hidden]" is unknown, hence changed.
func changedKeys(server, want map[string]string) []string {
	var changed []string
	for _, k := range sortedKeys(union(server, want)) {
		if k == "name" {
			continue
		}
		sv, inServer := server[k]
		wv, inWant := want[k]
		if inServer != inWant || sv != wv || sv == hiddenValue {
			changed = append(changed, k)
		}
	}
	return changed
}

func union(a, b map[string]string) map[string]struct{} {
	u := make(map[string]struct{}, len(a)+len(b))
	for k := range a {
		u[k] = struct{}{}
	}
	for k := range b {
		u[k] = struct{}{}
	}
	return u
}

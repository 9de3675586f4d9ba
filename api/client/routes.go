package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tributarydata/tributary/bus/worker"
)

// ServerInfo returns the worker's version and Kafka cluster (GET /).
func (c *Client) ServerInfo(ctx context.Context) (worker.ServerInfo, error) {
	var out worker.ServerInfo
	_, err := c.call(ctx, http.MethodGet, c.endpoint(nil), nil, &out)
	return out, err
}

// ListConnectors returns the names of all connectors (GET /connectors).
func (c *Client) ListConnectors(ctx context.Context) ([]string, error) {
	var out []string
	_, err := c.call(ctx, http.MethodGet, c.endpoint(nil, "connectors"), nil, &out)
	return out, err
}

// ListConnectorsExpanded returns every connector with the expansions asked
// for, keyed by name (GET /connectors?expand=status&expand=info).
func (c *Client) ListConnectorsExpanded(ctx context.Context, expand ...Expand) (map[string]ConnectorExpansion, error) {
	q := url.Values{}
	for _, e := range expand {
		q.Add("expand", string(e))
	}
	out := map[string]ConnectorExpansion{}
	_, err := c.call(ctx, http.MethodGet, c.endpoint(q, "connectors"), nil, &out)
	return out, err
}

type createRequest struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
}

// CreateConnector creates a connector (POST /connectors). It fails with a 409
// APIError when the connector exists; PutConnectorConfig creates or updates.
func (c *Client) CreateConnector(ctx context.Context, name string, config map[string]string) (worker.ConnectorInfo, error) {
	var out worker.ConnectorInfo
	_, err := c.call(ctx, http.MethodPost, c.endpoint(nil, "connectors"), createRequest{Name: name, Config: config}, &out)
	return out, err
}

// Connector returns a connector's config and tasks (GET /connectors/{name}).
// Secret values are masked by the server.
func (c *Client) Connector(ctx context.Context, name string) (worker.ConnectorInfo, error) {
	var out worker.ConnectorInfo
	_, err := c.call(ctx, http.MethodGet, c.endpoint(nil, "connectors", name), nil, &out)
	return out, err
}

// DeleteConnector deletes a connector (DELETE /connectors/{name}).
func (c *Client) DeleteConnector(ctx context.Context, name string) error {
	_, err := c.call(ctx, http.MethodDelete, c.endpoint(nil, "connectors", name), nil, nil)
	return err
}

// ConnectorConfig returns a connector's config (GET /connectors/{name}/config).
// Secret values are masked by the server (as "[hidden]"), and the server adds
// "name".
func (c *Client) ConnectorConfig(ctx context.Context, name string) (map[string]string, error) {
	var out map[string]string
	_, err := c.call(ctx, http.MethodGet, c.endpoint(nil, "connectors", name, "config"), nil, &out)
	return out, err
}

// PutConnectorConfig creates a connector or replaces its config
// (PUT /connectors/{name}/config) and reports whether it created it (201).
func (c *Client) PutConnectorConfig(ctx context.Context, name string, config map[string]string) (info worker.ConnectorInfo, created bool, err error) {
	if config == nil {
		config = map[string]string{}
	}
	status, err := c.call(ctx, http.MethodPut, c.endpoint(nil, "connectors", name, "config"), config, &info)
	return info, status == http.StatusCreated, err
}

// ConnectorStatus returns the state of a connector and of its tasks
// (GET /connectors/{name}/status).
func (c *Client) ConnectorStatus(ctx context.Context, name string) (worker.ConnectorStatus, error) {
	var out worker.ConnectorStatus
	_, err := c.call(ctx, http.MethodGet, c.endpoint(nil, "connectors", name, "status"), nil, &out)
	return out, err
}

// RestartConnector restarts a connector (POST /connectors/{name}/restart).
// With IncludeTasks or OnlyFailed the server answers 202 with the status,
// which is returned; a plain restart answers 204 and the status is nil.
func (c *Client) RestartConnector(ctx context.Context, name string, opts RestartOptions) (*worker.ConnectorStatus, error) {
	q := url.Values{}
	if opts.IncludeTasks {
		q.Set("includeTasks", "true")
	}
	if opts.OnlyFailed {
		q.Set("onlyFailed", "true")
	}
	var out worker.ConnectorStatus
	if _, err := c.call(ctx, http.MethodPost, c.endpoint(q, "connectors", name, "restart"), nil, &out); err != nil {
		return nil, err
	}
	if out.Name == "" && out.Connector.State == "" {
		return nil, nil
	}
	return &out, nil
}

// PauseConnector pauses a connector and its tasks (PUT /connectors/{name}/pause).
func (c *Client) PauseConnector(ctx context.Context, name string) error {
	_, err := c.call(ctx, http.MethodPut, c.endpoint(nil, "connectors", name, "pause"), nil, nil)
	return err
}

// ResumeConnector resumes a paused or stopped connector
// (PUT /connectors/{name}/resume).
func (c *Client) ResumeConnector(ctx context.Context, name string) error {
	_, err := c.call(ctx, http.MethodPut, c.endpoint(nil, "connectors", name, "resume"), nil, nil)
	return err
}

// StopConnector stops a connector and shuts its tasks down
// (PUT /connectors/{name}/stop); offsets can be altered only then.
func (c *Client) StopConnector(ctx context.Context, name string) error {
	_, err := c.call(ctx, http.MethodPut, c.endpoint(nil, "connectors", name, "stop"), nil, nil)
	return err
}

// ConnectorTasks returns the task configs of a connector
// (GET /connectors/{name}/tasks).
func (c *Client) ConnectorTasks(ctx context.Context, name string) ([]worker.TaskInfo, error) {
	var out []worker.TaskInfo
	_, err := c.call(ctx, http.MethodGet, c.endpoint(nil, "connectors", name, "tasks"), nil, &out)
	return out, err
}

// TaskStatus returns the state of one task
// (GET /connectors/{name}/tasks/{task}/status).
func (c *Client) TaskStatus(ctx context.Context, name string, task int) (worker.TaskState, error) {
	var out worker.TaskState
	_, err := c.call(ctx, http.MethodGet, c.endpoint(nil, "connectors", name, "tasks", strconv.Itoa(task), "status"), nil, &out)
	return out, err
}

// RestartTask restarts one task (POST /connectors/{name}/tasks/{task}/restart).
func (c *Client) RestartTask(ctx context.Context, name string, task int) error {
	_, err := c.call(ctx, http.MethodPost, c.endpoint(nil, "connectors", name, "tasks", strconv.Itoa(task), "restart"), nil, nil)
	return err
}

// Offsets returns a connector's committed offsets
// (GET /connectors/{name}/offsets). Numbers are json.Number.
func (c *Client) Offsets(ctx context.Context, name string) (worker.Offsets, error) {
	var out worker.Offsets
	_, err := c.call(ctx, http.MethodGet, c.endpoint(nil, "connectors", name, "offsets"), nil, &out)
	return out, err
}

type messageAnswer struct {
	Message string `json:"message"`
}

// AlterOffsets sets a stopped connector's offsets
// (PATCH /connectors/{name}/offsets); a nil Offset resets its partition.
// It returns the server's message.
func (c *Client) AlterOffsets(ctx context.Context, name string, offsets worker.Offsets) (string, error) {
	if offsets.Offsets == nil {
		return "", fmt.Errorf("client: alter offsets of %q: no offsets given", name)
	}
	var out messageAnswer
	_, err := c.call(ctx, http.MethodPatch, c.endpoint(nil, "connectors", name, "offsets"), offsets, &out)
	return out.Message, err
}

// ResetOffsets deletes a stopped connector's offsets
// (DELETE /connectors/{name}/offsets) and returns the server's message.
func (c *Client) ResetOffsets(ctx context.Context, name string) (string, error) {
	var out messageAnswer
	_, err := c.call(ctx, http.MethodDelete, c.endpoint(nil, "connectors", name, "offsets"), nil, &out)
	return out.Message, err
}

// Plugins lists the installed plugins (GET /connector-plugins).
func (c *Client) Plugins(ctx context.Context) ([]worker.PluginInfo, error) {
	var out []worker.PluginInfo
	_, err := c.call(ctx, http.MethodGet, c.endpoint(nil, "connector-plugins"), nil, &out)
	return out, err
}

// PluginConfig returns the config definition of a plugin
// (GET /connector-plugins/{class}/config); class may be an alias.
func (c *Client) PluginConfig(ctx context.Context, class string) ([]ConfigKeyInfo, error) {
	var out []ConfigKeyInfo
	_, err := c.call(ctx, http.MethodGet, c.endpoint(nil, "connector-plugins", class, "config"), nil, &out)
	return out, err
}

// ValidateConfig validates a config against a plugin
// (PUT /connector-plugins/{class}/config/validate). config is not modified;
// "connector.class" is set to class in what is sent when config lacks it.
// An invalid config is not an error: see ConfigInfos.Valid and FieldErrors.
func (c *Client) ValidateConfig(ctx context.Context, class string, config map[string]string) (ConfigInfos, error) {
	body := maps.Clone(config)
	if body == nil {
		body = map[string]string{}
	}
	if _, ok := body["connector.class"]; !ok {
		body["connector.class"] = class
	}
	var out ConfigInfos
	_, err := c.call(ctx, http.MethodPut, c.endpoint(nil, "connector-plugins", class, "config", "validate"), body, &out)
	return out, err
}

// Health returns the worker's health (GET /health). A worker that is starting
// or unhealthy answers 503: the Health is then returned filled in, with an
// *APIError.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var out Health
	_, err := c.call(ctx, http.MethodGet, c.endpoint(nil, "health"), nil, &out)
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		// A 503 carries a Health, not an error body: return both.
		var h Health
		if json.Unmarshal(apiErr.body, &h) == nil && h.Status != "" {
			out = h
		} else {
			out = Health{Status: "unhealthy", Message: apiErr.Message}
		}
	}
	return out, err
}

// Workers lists the live workers of the cluster (GET /api/v1/workers). Both a
// bare array and {"workers": [...]} are accepted.
func (c *Client) Workers(ctx context.Context) ([]worker.WorkerInfo, error) {
	var raw json.RawMessage
	if _, err := c.call(ctx, http.MethodGet, c.endpoint(nil, "api", "v1", "workers"), nil, &raw); err != nil {
		return nil, err
	}
	var list []worker.WorkerInfo
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var wrapped struct {
		Workers []worker.WorkerInfo `json:"workers"`
	}
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return nil, fmt.Errorf("GET /api/v1/workers: decode answer: %w", err)
	}
	return wrapped.Workers, nil
}

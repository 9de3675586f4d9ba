// Package clienttest runs an in-memory stand-in of a Tributary worker's REST
// API for tests of REST clients (package client, `tributary ctl`): Kafka
// Connect's routes, status codes and JSON shapes, the {"error_code","message"}
// error body, bearer-token checks on writes, masking of PASSWORD values and
// config validation against declared plugin definitions. It runs no
// connector; tests set task states and offsets through its methods.
//
// It is a fake of package api's contract for code that cannot import a worker;
// tests of package api itself run the real server.
package clienttest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tributarydata/tributary/api/client"
	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/bus/worker"
)

// Hidden is what the server shows instead of a secret value.
const Hidden = "[hidden]"

// Plugin is a plugin the server knows: its definition drives validation.
type Plugin struct {
	Class   string
	Type    string // "source" or "sink"
	Version string
	// Keys are the plugin's own config keys; "name", "connector.class" and
	// "tasks.max" are added in front of them.
	Keys []client.ConfigKeyInfo
	// Check returns errors per key beyond missing required keys and
	// malformed INT values; it may be nil.
	Check func(cfg map[string]string) map[string][]string
}

// Server is a running fake worker; URL is its base URL.
type Server struct {
	*httptest.Server

	mu         sync.Mutex
	token      string
	plugins    []Plugin
	health     client.Health
	workers    []string
	connectors map[string]*connector
	requests   []string
}

type connector struct {
	plugin  *Plugin
	config  map[string]string
	target  string
	tasks   []worker.State // per task: an override set by SetTaskState, or zero
	offsets []record.Position
}

// Option configures a Server.
type Option func(*Server)

// WithToken makes the server refuse writes without "Authorization: Bearer token".
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithPlugins replaces the default plugins (DefaultPlugins).
func WithPlugins(p ...Plugin) Option { return func(s *Server) { s.plugins = p } }

// WithHealth sets the answer of GET /health: 200 when status is "healthy",
// 503 otherwise.
func WithHealth(status, message string) Option {
	return func(s *Server) { s.health = client.Health{Status: status, Message: message} }
}

// New starts a server, closed when the test ends.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		plugins:    DefaultPlugins(),
		health:     client.Health{Status: "healthy", Message: "Worker has completed startup and is ready to handle requests."},
		workers:    []string{"10.0.0.1:8083", "10.0.0.2:8083"},
		connectors: map[string]*connector{},
	}
	for _, opt := range opts {
		opt(s)
	}
	s.Server = httptest.NewServer(s.routes())
	tb.Cleanup(s.Close)
	return s
}

func str(s string) *string { return &s }

// DefaultPlugins returns a MySQL CDC source and an RDS sink with a few keys.
func DefaultPlugins() []Plugin {
	return []Plugin{
		{
			Class: "io.tributary.sources.mysql.MySQLSource", Type: "source", Version: "0.1.0",
			Keys: []client.ConfigKeyInfo{
				{Name: "database.hostname", Type: "STRING", Required: true, Importance: "HIGH", Documentation: "MySQL host."},
				{Name: "database.port", Type: "INT", DefaultValue: str("3306"), Importance: "HIGH", Documentation: "MySQL port."},
				{Name: "database.user", Type: "STRING", Required: true, Importance: "HIGH", Documentation: "MySQL user."},
				{Name: "database.password", Type: "PASSWORD", Importance: "HIGH", Documentation: "MySQL password."},
				{Name: "topic.prefix", Type: "STRING", Required: true, Importance: "HIGH", Documentation: "Prefix of the topics."},
			},
		},
		{
			Class: "io.tributary.sinks.rds.RDSSink", Type: "sink", Version: "0.1.0",
			Keys: []client.ConfigKeyInfo{
				{Name: "topics", Type: "LIST", Required: true, Importance: "HIGH", Documentation: "Topics to read."},
				{Name: "connection.url", Type: "STRING", Required: true, Importance: "HIGH", Documentation: "MySQL DSN."},
				{Name: "insert.mode", Type: "STRING", DefaultValue: str("upsert"), Importance: "MEDIUM", Documentation: "insert or upsert.", Enum: []string{"insert", "upsert"}},
			},
			Check: func(cfg map[string]string) map[string][]string {
				if m, ok := cfg["insert.mode"]; ok && m != "insert" && m != "upsert" {
					return map[string][]string{"insert.mode": {fmt.Sprintf("Invalid value %s for configuration insert.mode: must be insert or upsert", m)}}
				}
				return nil
			},
		},
	}
}

// SetTaskState overrides the state of a task until it is restarted.
func (s *Server) SetTaskState(name string, task int, state, trace string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.connectors[name]
	if c == nil || task < 0 || task >= len(c.tasks) {
		panic(fmt.Sprintf("clienttest: no task %s/%d", name, task))
	}
	c.tasks[task] = worker.State{State: state, Trace: trace}
}

// SetOffsets sets a connector's committed offsets.
func (s *Server) SetOffsets(name string, offsets []record.Position) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connectors[name].offsets = offsets
}

// Config returns a connector's stored config, unmasked, or nil.
func (s *Server) Config(name string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.connectors[name]; c != nil {
		return maps.Clone(c.config)
	}
	return nil
}

// Target returns a connector's target state (STARTED, PAUSED or STOPPED).
func (s *Server) Target(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.connectors[name]; c != nil {
		return c.target
	}
	return ""
}

// Requests returns "METHOD /path?query" of every request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Writes returns the requests so far that were not GETs.
func (s *Server) Writes() []string {
	var out []string
	for _, r := range s.Requests() {
		if !strings.HasPrefix(r, "GET ") {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.serverInfo)
	mux.HandleFunc("GET /connectors", s.listConnectors)
	mux.HandleFunc("POST /connectors", s.createConnector)
	mux.HandleFunc("GET /connectors/{name}", s.withConnector(s.connectorInfo))
	mux.HandleFunc("DELETE /connectors/{name}", s.withConnector(s.deleteConnector))
	mux.HandleFunc("GET /connectors/{name}/config", s.withConnector(s.getConfig))
	mux.HandleFunc("PUT /connectors/{name}/config", s.putConfig)
	mux.HandleFunc("GET /connectors/{name}/status", s.withConnector(s.status))
	mux.HandleFunc("POST /connectors/{name}/restart", s.withConnector(s.restart))
	mux.HandleFunc("PUT /connectors/{name}/pause", s.withConnector(s.setTarget(worker.TargetPaused, http.StatusAccepted)))
	mux.HandleFunc("PUT /connectors/{name}/resume", s.withConnector(s.setTarget(worker.TargetStarted, http.StatusAccepted)))
	mux.HandleFunc("PUT /connectors/{name}/stop", s.withConnector(s.setTarget(worker.TargetStopped, http.StatusNoContent)))
	mux.HandleFunc("GET /connectors/{name}/tasks", s.withConnector(s.tasks))
	mux.HandleFunc("GET /connectors/{name}/tasks/{task}/status", s.withConnector(s.taskStatus))
	mux.HandleFunc("POST /connectors/{name}/tasks/{task}/restart", s.withConnector(s.restartTask))
	mux.HandleFunc("GET /connectors/{name}/offsets", s.withConnector(s.getOffsets))
	mux.HandleFunc("PATCH /connectors/{name}/offsets", s.withConnector(s.alterOffsets))
	mux.HandleFunc("DELETE /connectors/{name}/offsets", s.withConnector(s.resetOffsets))
	mux.HandleFunc("GET /connector-plugins", s.listPlugins)
	mux.HandleFunc("GET /connector-plugins/{class}/config", s.pluginConfig)
	mux.HandleFunc("PUT /connector-plugins/{class}/config/validate", s.validate)
	mux.HandleFunc("GET /health", s.getHealth)
	mux.HandleFunc("GET /api/v1/workers", s.listWorkers)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		line := r.Method + " " + r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			line += "?" + r.URL.RawQuery
		}
		s.requests = append(s.requests, line)
		s.mu.Unlock()
		if s.token != "" && r.Method != http.MethodGet && r.Method != http.MethodHead &&
			r.Header.Get("Authorization") != "Bearer "+s.token {
			writeError(w, http.StatusUnauthorized, "missing or invalid bearer token")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error_code": status, "message": msg})
}

// withConnector runs h with the connector named in the path, locked; an
// unknown connector is a 404.
func (s *Server) withConnector(h func(http.ResponseWriter, *http.Request, string, *connector)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		s.mu.Lock()
		defer s.mu.Unlock()
		c := s.connectors[name]
		if c == nil {
			writeError(w, http.StatusNotFound, fmt.Sprintf("Connector %s not found", name))
			return
		}
		h(w, r, name, c)
	}
}

func (s *Server) serverInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, worker.ServerInfo{Version: "0.1.0-test", Commit: "abc123", KafkaClusterID: "test-cluster"})
}

func (s *Server) listConnectors(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := slices.Sorted(maps.Keys(s.connectors))
	var expand []string
	for _, v := range r.URL.Query()["expand"] {
		expand = append(expand, strings.Split(v, ",")...)
	}
	if len(expand) == 0 {
		writeJSON(w, http.StatusOK, names)
		return
	}
	out := map[string]client.ConnectorExpansion{}
	for _, name := range names {
		var e client.ConnectorExpansion
		for _, x := range expand {
			switch x {
			case "status":
				st := s.statusOf(name, s.connectors[name])
				e.Status = &st
			case "info":
				info := s.infoOf(name, s.connectors[name])
				e.Info = &info
			}
		}
		out[name] = e
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createConnector(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name   string            `json:"name"`
		Config map[string]string `json:"config"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	if req.Name == "" {
		writeError(w, http.StatusBadRequest, "connector name is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.connectors[req.Name] != nil {
		writeError(w, http.StatusConflict, fmt.Sprintf("Connector %s already exists", req.Name))
		return
	}
	c, status, msg := s.configure(req.Name, req.Config)
	if c == nil {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, http.StatusCreated, s.infoOf(req.Name, c))
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var cfg map[string]string
	if err := json.NewDecoder(r.Body).Decode(&cfg); err != nil {
		writeError(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	existed := s.connectors[name] != nil
	c, status, msg := s.configure(name, cfg)
	if c == nil {
		writeError(w, status, msg)
		return
	}
	status = http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	writeJSON(w, status, s.infoOf(name, c))
}

// configure validates cfg and stores it as name's config, keeping the target
// state and offsets of an existing connector. On failure it returns nil and
// the error answer. s.mu is held.
func (s *Server) configure(name string, cfg map[string]string) (*connector, int, string) {
	if n, ok := cfg["name"]; ok && n != name {
		return nil, http.StatusBadRequest, fmt.Sprintf("Connector name configuration (%s) doesn't match connector name in the URL (%s)", n, name)
	}
	cfg = maps.Clone(cfg)
	if cfg == nil {
		cfg = map[string]string{}
	}
	cfg["name"] = name
	p := s.plugin(cfg["connector.class"])
	if p == nil {
		return nil, http.StatusBadRequest, fmt.Sprintf("Connector configuration is invalid: unknown connector.class %q", cfg["connector.class"])
	}
	if errs := validateConfig(p, cfg); len(errs) > 0 {
		return nil, http.StatusBadRequest, (&worker.ConfigError{Connector: name, Fields: errs}).Error()
	}
	tasksMax, _ := strconv.Atoi(cfg["tasks.max"])
	c := s.connectors[name]
	if c == nil {
		c = &connector{target: worker.TargetStarted}
		s.connectors[name] = c
	}
	c.plugin, c.config, c.tasks = p, cfg, make([]worker.State, max(tasksMax, 1))
	return c, 0, ""
}

// plugin resolves a class name or alias (the class's simple name). s.mu is
// held or the plugin list is immutable, which it is after New.
func (s *Server) plugin(class string) *Plugin {
	for i := range s.plugins {
		p := &s.plugins[i]
		simple := p.Class[strings.LastIndexByte(p.Class, '.')+1:]
		if class == p.Class || strings.EqualFold(class, simple) {
			return p
		}
	}
	return nil
}

// definitions returns the common keys followed by the plugin's own.
func definitions(p *Plugin) []client.ConfigKeyInfo {
	keys := []client.ConfigKeyInfo{
		{Name: "name", Type: "STRING", Required: true, Importance: "HIGH", Group: "Common", Documentation: "Globally unique name of the connector."},
		{Name: "connector.class", Type: "CLASS", Required: true, Importance: "HIGH", Group: "Common", Documentation: "Class or alias of the connector."},
		{Name: "tasks.max", Type: "INT", DefaultValue: str("1"), Importance: "HIGH", Group: "Common", Documentation: "Maximum number of tasks."},
	}
	keys = append(keys, p.Keys...)
	for i := range keys {
		keys[i].Order = i + 1
		if keys[i].Dependents == nil {
			keys[i].Dependents = []string{}
		}
	}
	return keys
}

func validateConfig(p *Plugin, cfg map[string]string) map[string][]string {
	errs := map[string][]string{}
	for _, k := range definitions(p) {
		v, ok := cfg[k.Name]
		switch {
		case (!ok || v == "") && k.Required:
			errs[k.Name] = append(errs[k.Name], fmt.Sprintf("Missing required configuration \"%s\" which has no default value.", k.Name))
		case ok && k.Type == "INT":
			if n, err := strconv.Atoi(v); err != nil || (k.Name == "tasks.max" && n < 1) {
				errs[k.Name] = append(errs[k.Name], fmt.Sprintf("Invalid value %s for configuration %s: Not a positive number", v, k.Name))
			}
		}
	}
	if p.Check != nil {
		for k, e := range p.Check(cfg) {
			errs[k] = append(errs[k], e...)
		}
	}
	return errs
}

// masked returns cfg with the values of PASSWORD keys hidden.
func masked(p *Plugin, cfg map[string]string) map[string]string {
	out := maps.Clone(cfg)
	for _, k := range definitions(p) {
		if _, ok := out[k.Name]; ok && k.Type == "PASSWORD" {
			out[k.Name] = Hidden
		}
	}
	return out
}

func (s *Server) infoOf(name string, c *connector) worker.ConnectorInfo {
	info := worker.ConnectorInfo{Name: name, Config: masked(c.plugin, c.config), Type: c.plugin.Type, Tasks: []worker.TaskID{}}
	for i := range c.tasks {
		info.Tasks = append(info.Tasks, worker.TaskID{Connector: name, Task: i})
	}
	return info
}

func (s *Server) taskState(c *connector, i int) worker.TaskState {
	st := worker.TaskState{ID: i, State: c.tasks[i]}
	if st.State.State == "" {
		st.State.State = runState(c.target)
	}
	st.WorkerID = s.workers[i%len(s.workers)]
	return st
}

func runState(target string) string {
	switch target {
	case worker.TargetPaused:
		return worker.StatePaused
	case worker.TargetStopped:
		return worker.StateStopped
	}
	return worker.StateRunning
}

func (s *Server) statusOf(name string, c *connector) worker.ConnectorStatus {
	st := worker.ConnectorStatus{
		Name:      name,
		Connector: worker.State{State: runState(c.target), WorkerID: s.workers[0]},
		Tasks:     []worker.TaskState{},
		Type:      c.plugin.Type,
	}
	if c.target != worker.TargetStopped {
		for i := range c.tasks {
			st.Tasks = append(st.Tasks, s.taskState(c, i))
		}
	}
	return st
}

func (s *Server) connectorInfo(w http.ResponseWriter, _ *http.Request, name string, c *connector) {
	writeJSON(w, http.StatusOK, s.infoOf(name, c))
}

func (s *Server) deleteConnector(w http.ResponseWriter, _ *http.Request, name string, _ *connector) {
	delete(s.connectors, name)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getConfig(w http.ResponseWriter, _ *http.Request, _ string, c *connector) {
	writeJSON(w, http.StatusOK, masked(c.plugin, c.config))
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request, name string, c *connector) {
	writeJSON(w, http.StatusOK, s.statusOf(name, c))
}

func queryBool(r *http.Request, key string) (bool, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return false, nil
	}
	return strconv.ParseBool(v)
}

func (s *Server) restart(w http.ResponseWriter, r *http.Request, name string, c *connector) {
	includeTasks, err1 := queryBool(r, "includeTasks")
	onlyFailed, err2 := queryBool(r, "onlyFailed")
	if err1 != nil || err2 != nil {
		writeError(w, http.StatusBadRequest, "includeTasks and onlyFailed must be booleans")
		return
	}
	if !includeTasks && !onlyFailed {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	st := s.statusOf(name, c)
	if !onlyFailed {
		st.Connector.State = worker.StateRestarting
	}
	for i := range st.Tasks {
		if includeTasks && (!onlyFailed || st.Tasks[i].State.State == worker.StateFailed) {
			st.Tasks[i].State.State = worker.StateRestarting
			st.Tasks[i].Trace = ""
			c.tasks[st.Tasks[i].ID] = worker.State{}
		}
	}
	writeJSON(w, http.StatusAccepted, st)
}

func (s *Server) setTarget(target string, status int) func(http.ResponseWriter, *http.Request, string, *connector) {
	return func(w http.ResponseWriter, _ *http.Request, _ string, c *connector) {
		c.target = target
		w.WriteHeader(status)
	}
}

func (s *Server) tasks(w http.ResponseWriter, _ *http.Request, name string, c *connector) {
	out := []worker.TaskInfo{}
	for i := range c.tasks {
		cfg := masked(c.plugin, c.config)
		cfg["task.id"] = strconv.Itoa(i)
		out = append(out, worker.TaskInfo{ID: worker.TaskID{Connector: name, Task: i}, Config: cfg})
	}
	writeJSON(w, http.StatusOK, out)
}

// task returns the task id of the path, or answers 404.
func task(w http.ResponseWriter, r *http.Request, name string, c *connector) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("task"))
	if err != nil || id < 0 || id >= len(c.tasks) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Task %s-%s not found", name, r.PathValue("task")))
		return 0, false
	}
	return id, true
}

func (s *Server) taskStatus(w http.ResponseWriter, r *http.Request, name string, c *connector) {
	if id, ok := task(w, r, name, c); ok {
		writeJSON(w, http.StatusOK, s.taskState(c, id))
	}
}

func (s *Server) restartTask(w http.ResponseWriter, r *http.Request, name string, c *connector) {
	if id, ok := task(w, r, name, c); ok {
		c.tasks[id] = worker.State{}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) getOffsets(w http.ResponseWriter, _ *http.Request, _ string, c *connector) {
	writeJSON(w, http.StatusOK, worker.Offsets{Offsets: append([]record.Position{}, c.offsets...)})
}

const notStopped = "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint"

func (s *Server) alterOffsets(w http.ResponseWriter, r *http.Request, name string, c *connector) {
	var body struct {
		Offsets *[]record.Position `json:"offsets"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Offsets == nil {
		writeError(w, http.StatusBadRequest, "Offsets must be specified when altering offsets")
		return
	}
	if c.target != worker.TargetStopped {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(notStopped, name))
		return
	}
	for _, p := range *body.Offsets {
		key := p.PartitionKey()
		c.offsets = slices.DeleteFunc(c.offsets, func(q record.Position) bool { return q.PartitionKey() == key })
		if p.Offset != nil {
			c.offsets = append(c.offsets, p)
		}
	}
	sort.Slice(c.offsets, func(i, j int) bool { return c.offsets[i].PartitionKey() < c.offsets[j].PartitionKey() })
	writeJSON(w, http.StatusOK, map[string]string{"message": "The offsets for this connector have been altered successfully"})
}

func (s *Server) resetOffsets(w http.ResponseWriter, _ *http.Request, name string, c *connector) {
	if c.target != worker.TargetStopped {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(notStopped, name))
		return
	}
	c.offsets = nil
	writeJSON(w, http.StatusOK, map[string]string{"message": "The offsets for this connector have been reset successfully"})
}

func (s *Server) listPlugins(w http.ResponseWriter, _ *http.Request) {
	out := []worker.PluginInfo{}
	for _, p := range s.plugins {
		out = append(out, worker.PluginInfo{Class: p.Class, Type: p.Type, Version: p.Version})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) pluginConfig(w http.ResponseWriter, r *http.Request) {
	p := s.plugin(r.PathValue("class"))
	if p == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Unknown plugin %s.", r.PathValue("class")))
		return
	}
	writeJSON(w, http.StatusOK, definitions(p))
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	class := r.PathValue("class")
	p := s.plugin(class)
	if p == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Unknown plugin %s.", class))
		return
	}
	var cfg map[string]string
	if err := json.NewDecoder(r.Body).Decode(&cfg); err != nil {
		writeError(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	if cfg == nil {
		cfg = map[string]string{}
	}
	if given, ok := cfg["connector.class"]; !ok {
		cfg["connector.class"] = class
	} else if s.plugin(given) != p {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Included connector type %s does not match request type %s", given, class))
		return
	}
	errs := validateConfig(p, cfg)
	out := client.ConfigInfos{Name: p.Class, Groups: []string{"Common"}, Configs: []client.ConfigInfo{}}
	shown := masked(p, cfg)
	for _, k := range definitions(p) {
		v := client.ConfigValueInfo{Name: k.Name, RecommendedValues: []string{}, Errors: []string{}, Visible: true}
		if val, ok := shown[k.Name]; ok {
			v.Value = &val
		}
		if e := errs[k.Name]; len(e) > 0 {
			v.Errors = e
			out.ErrorCount += len(e)
		}
		out.Configs = append(out.Configs, client.ConfigInfo{Definition: k, Value: v})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getHealth(w http.ResponseWriter, _ *http.Request) {
	status := http.StatusOK
	if s.health.Status != client.HealthHealthy {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, s.health)
}

func (s *Server) listWorkers(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]worker.WorkerInfo, len(s.workers))
	for i, id := range s.workers {
		out[i] = worker.WorkerInfo{ID: id, URL: "http://" + id, Tasks: []worker.TaskID{}, Leader: i == 0,
			LastHeartbeat: 1_700_000_000_000, HeartbeatAgeMs: 1200, ClockSkewMs: int64(i) * 3_600_000}
	}
	for _, name := range slices.Sorted(maps.Keys(s.connectors)) {
		c := s.connectors[name]
		if c.target == worker.TargetStopped {
			continue
		}
		for i := range c.tasks {
			wi := i % len(s.workers)
			out[wi].Tasks = append(out[wi].Tasks, worker.TaskID{Connector: name, Task: i})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// SinkConfig is a valid config of the sink plugin of DefaultPlugins.
func SinkConfig() map[string]string {
	return map[string]string{
		"connector.class": "io.tributary.sinks.rds.RDSSink",
		"tasks.max":       "2",
		"topics":          "dwd.student_signal",
		"connection.url":  "u:p@tcp(db:3306)/ads",
	}
}

// SourceConfig is a valid config of the source plugin of DefaultPlugins,
// with a password-typed key.
func SourceConfig() map[string]string {
	return map[string]string{
		"connector.class":   "MySQLSource",
		"database.hostname": "mysql",
		"database.user":     "cdc",
		"database.password": "s3cret",
		"topic.prefix":      "edu",
	}
}

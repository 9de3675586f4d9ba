package ctl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tributarydata/tributary/api/client"
	"github.com/tributarydata/tributary/bus/worker"
)

func runList(s *session, _ []string) error {
	conns, err := s.client.ListConnectorsExpanded(s.ctx, client.ExpandStatus)
	if err != nil {
		return err
	}
	if s.json() {
		return printJSON(s.stdout, conns)
	}
	t := newTable(s.stdout, "NAME", "TYPE", "STATE", "TASKS", "WORKER")
	for _, name := range sortedKeys(conns) {
		st := conns[name].Status
		if st == nil {
			t.row(name, "-", "-", "-", "-")
			continue
		}
		running := 0
		for _, task := range st.Tasks {
			if task.State.State == worker.StateRunning {
				running++
			}
		}
		t.row(name, orDash(st.Type), orDash(st.Connector.State), fmt.Sprintf("%d/%d", running, len(st.Tasks)), orDash(st.Connector.WorkerID))
	}
	return t.flush()
}

func runGet(s *session, args []string) error {
	info, err := s.client.Connector(s.ctx, args[0])
	if err != nil {
		return err
	}
	if s.json() {
		return printJSON(s.stdout, info)
	}
	t := newTable(s.stdout)
	t.row("NAME", info.Name)
	t.row("TYPE", orDash(info.Type))
	t.row("TASKS", strconv.Itoa(len(info.Tasks)))
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(s.stdout)
	return printConfig(s, info.Config)
}

func printConfig(s *session, cfg map[string]string) error {
	t := newTable(s.stdout, "KEY", "VALUE")
	for _, k := range sortedKeys(cfg) {
		t.row(k, cfg[k])
	}
	return t.flush()
}

func runStatus(s *session, args []string) error {
	st, err := s.client.ConnectorStatus(s.ctx, args[0])
	if err != nil {
		return err
	}
	if s.json() {
		return printJSON(s.stdout, st)
	}
	t := newTable(s.stdout)
	t.row("CONNECTOR", st.Name)
	t.row("TYPE", orDash(st.Type))
	t.row("STATE", orDash(st.Connector.State))
	t.row("WORKER", orDash(st.Connector.WorkerID))
	traces := st.Connector.Trace != ""
	if traces {
		t.row("TRACE", firstLine(st.Connector.Trace))
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(s.stdout)
	t = newTable(s.stdout, "TASK", "STATE", "WORKER", "TRACE")
	for _, task := range st.Tasks {
		t.row(strconv.Itoa(task.ID), orDash(task.State.State), orDash(task.WorkerID), firstLine(task.Trace))
		traces = traces || task.Trace != ""
	}
	if err := t.flush(); err != nil {
		return err
	}
	if traces {
		fmt.Fprintln(s.stdout, "\n(first lines of traces; -o json shows them whole)")
	}
	return nil
}

func runConfig(s *session, args []string) error {
	cfg, err := s.client.ConnectorConfig(s.ctx, args[0])
	if err != nil {
		return err
	}
	if s.json() {
		return printJSON(s.stdout, cfg)
	}
	return printConfig(s, cfg)
}

func runCreate(s *session, args []string) error {
	conns, err := LoadConnectors(args[0], s.env)
	if err != nil {
		return err
	}
	var infos []worker.ConnectorInfo
	for _, conn := range conns {
		info, err := s.client.CreateConnector(s.ctx, conn.Name, conn.Config)
		if err != nil {
			return fmt.Errorf("%s: connector %q: %w", conn.File, conn.Name, err)
		}
		infos = append(infos, info)
		if !s.json() {
			fmt.Fprintf(s.stdout, "created %s\n", conn.Name)
		}
	}
	if s.json() {
		return printJSON(s.stdout, infos)
	}
	return nil
}

// done prints the outcome of a command that changes one connector.
func (s *session) done(action, name string) error {
	if s.json() {
		return printJSON(s.stdout, map[string]string{"name": name, "action": action})
	}
	_, err := fmt.Fprintf(s.stdout, "%s %s\n", action, name)
	return err
}

func runDelete(s *session, args []string) error {
	if err := s.client.DeleteConnector(s.ctx, args[0]); err != nil {
		return err
	}
	return s.done("deleted", args[0])
}

func runPause(s *session, args []string) error {
	if err := s.client.PauseConnector(s.ctx, args[0]); err != nil {
		return err
	}
	return s.done("paused", args[0])
}

func runResume(s *session, args []string) error {
	if err := s.client.ResumeConnector(s.ctx, args[0]); err != nil {
		return err
	}
	return s.done("resumed", args[0])
}

func runStop(s *session, args []string) error {
	if err := s.client.StopConnector(s.ctx, args[0]); err != nil {
		return err
	}
	return s.done("stopped", args[0])
}

func runRestart(s *session, args []string) error {
	st, err := s.client.RestartConnector(s.ctx, args[0], client.RestartOptions{IncludeTasks: s.includeTasks, OnlyFailed: s.onlyFailed})
	if err != nil {
		return err
	}
	if st == nil {
		return s.done("restarted", args[0])
	}
	if s.json() {
		return printJSON(s.stdout, st)
	}
	t := newTable(s.stdout, "INSTANCE", "STATE", "WORKER")
	t.row("connector", orDash(st.Connector.State), orDash(st.Connector.WorkerID))
	for _, task := range st.Tasks {
		t.row("task "+strconv.Itoa(task.ID), orDash(task.State.State), orDash(task.WorkerID))
	}
	return t.flush()
}

func runRestartTask(s *session, args []string) error {
	id, err := taskID(args[1])
	if err != nil {
		return err
	}
	if err := s.client.RestartTask(s.ctx, args[0], id); err != nil {
		return err
	}
	if s.json() {
		return printJSON(s.stdout, map[string]any{"name": args[0], "task": id, "action": "restarted"})
	}
	_, err = fmt.Fprintf(s.stdout, "restarted %s task %d\n", args[0], id)
	return err
}

func runTasks(s *session, args []string) error {
	tasks, err := s.client.ConnectorTasks(s.ctx, args[0])
	if err != nil {
		return err
	}
	if s.json() {
		return printJSON(s.stdout, tasks)
	}
	t := newTable(s.stdout, "TASK", "KEY", "VALUE")
	for _, task := range tasks {
		id := strconv.Itoa(task.ID.Task)
		for i, k := range sortedKeys(task.Config) {
			if i > 0 {
				id = ""
			}
			t.row(id, k, task.Config[k])
		}
		if len(task.Config) == 0 {
			t.row(id, "-", "-")
		}
	}
	return t.flush()
}

func runOffsets(s *session, args []string) error {
	switch {
	case len(args) == 1:
		return showOffsets(s, args[0])
	case len(args) == 2 && args[0] == "reset":
		msg, err := s.client.ResetOffsets(s.ctx, args[1])
		if err != nil {
			return err
		}
		return s.message(args[1], "reset", msg)
	case len(args) == 3 && args[0] == "alter":
		data, err := os.ReadFile(args[2])
		if err != nil {
			return err
		}
		offsets, err := parseOffsets(data, args[2])
		if err != nil {
			return err
		}
		msg, err := s.client.AlterOffsets(s.ctx, args[1], offsets)
		if err != nil {
			return err
		}
		return s.message(args[1], "altered", msg)
	}
	return usagef("want offsets NAME, offsets reset NAME or offsets alter NAME FILE")
}

func (s *session) message(name, action, msg string) error {
	if s.json() {
		return printJSON(s.stdout, map[string]string{"name": name, "action": action, "message": msg})
	}
	if msg == "" {
		msg = "offsets " + action
	}
	_, err := fmt.Fprintf(s.stdout, "%s: %s\n", name, msg)
	return err
}

func showOffsets(s *session, name string) error {
	off, err := s.client.Offsets(s.ctx, name)
	if err != nil {
		return err
	}
	if s.json() {
		return printJSON(s.stdout, off)
	}
	rows := make([][2]string, len(off.Offsets))
	for i, p := range off.Offsets {
		rows[i] = [2]string{compactJSON(p.Partition), compactJSON(p.Offset)}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i][0] < rows[j][0] })
	t := newTable(s.stdout, "PARTITION", "OFFSET")
	for _, r := range rows {
		t.row(r[0], r[1])
	}
	return t.flush()
}

// parseOffsets reads {"offsets":[...]} (or a bare array of positions).
func parseOffsets(data []byte, file string) (worker.Offsets, error) {
	var out worker.Offsets
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := decodeJSON(data, &out.Offsets); err != nil {
			return out, fmt.Errorf("%s: %w", file, describeJSONError(data, err))
		}
	} else {
		var wire struct {
			Offsets *json.RawMessage `json:"offsets"`
		}
		if err := decodeJSON(data, &wire); err != nil {
			return out, fmt.Errorf("%s: %w", file, describeJSONError(data, err))
		}
		if wire.Offsets == nil {
			return out, fmt.Errorf(`%s: want {"offsets":[{"partition":{...},"offset":{...}}]}`, file)
		}
		if err := decodeJSON(*wire.Offsets, &out.Offsets); err != nil {
			return out, fmt.Errorf(`%s: "offsets": %w`, file, err)
		}
	}
	if out.Offsets == nil {
		return out, fmt.Errorf("%s: offsets must be an array", file)
	}
	for i, p := range out.Offsets {
		if p.Partition == nil {
			return out, fmt.Errorf("%s: offset #%d has no partition", file, i+1)
		}
	}
	return out, nil
}

func runPlugins(s *session, _ []string) error {
	plugins, err := s.client.Plugins(s.ctx)
	if err != nil {
		return err
	}
	if s.json() {
		return printJSON(s.stdout, plugins)
	}
	t := newTable(s.stdout, "CLASS", "TYPE", "VERSION")
	for _, p := range plugins {
		t.row(p.Class, orDash(p.Type), orDash(p.Version))
	}
	return t.flush()
}

func runPluginConfig(s *session, args []string) error {
	keys, err := s.client.PluginConfig(s.ctx, args[0])
	if err != nil {
		return err
	}
	if s.json() {
		return printJSON(s.stdout, keys)
	}
	t := newTable(s.stdout, "NAME", "TYPE", "REQUIRED", "DEFAULT", "IMPORTANCE", "DOCUMENTATION")
	for _, k := range keys {
		def := "-"
		if k.DefaultValue != nil {
			def = strconv.Quote(*k.DefaultValue)
		}
		t.row(k.Name, orDash(k.Type), strconv.FormatBool(k.Required), def, orDash(k.Importance), k.Documentation)
	}
	return t.flush()
}

func runValidate(s *session, args []string) error {
	data, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	cfg, err := parseConfigFile(data, args[1], s.env)
	if err != nil {
		return err
	}
	res, err := s.client.ValidateConfig(s.ctx, args[0], cfg)
	if err != nil {
		return err
	}
	if s.json() {
		if err := printJSON(s.stdout, res); err != nil {
			return err
		}
	} else if res.Valid() {
		fmt.Fprintf(s.stdout, "valid: %s\n", args[1])
	} else {
		for _, fe := range res.FieldErrors() {
			fmt.Fprintf(s.stdout, "%s: %s\n", fe.Key, fe.Message)
		}
		fmt.Fprintf(s.stdout, "invalid: %s: %d error(s)\n", args[1], max(res.ErrorCount, len(res.FieldErrors())))
	}
	if !res.Valid() {
		return errSilentFailure
	}
	return nil
}

func runWorkers(s *session, _ []string) error {
	ws, err := s.client.Workers(s.ctx)
	if err != nil {
		return err
	}
	if s.json() {
		return printJSON(s.stdout, ws)
	}
	t := newTable(s.stdout, "ID", "URL", "ROLE", "TASKS", "HEARTBEAT", "NOTE")
	for _, w := range ws {
		role := "member"
		if w.Leader {
			role = "leader"
		}
		hb := "-"
		if w.LastHeartbeat > 0 {
			hb = (time.Duration(w.HeartbeatAgeMs) * time.Millisecond).Round(100*time.Millisecond).String() + " ago"
		}
		var notes []string
		switch skew := (time.Duration(w.ClockSkewMs) * time.Millisecond).Round(time.Second); {
		case skew > time.Second:
			notes = append(notes, "clock ahead "+skew.String())
		case skew < -time.Second:
			notes = append(notes, "clock behind "+(-skew).String())
		}
		if w.Error != "" {
			notes = append(notes, "refused: "+w.Error)
		}
		t.row(w.ID, orDash(w.URL), role, strconv.Itoa(len(w.Tasks)), hb, orDash(strings.Join(notes, "; ")))
	}
	return t.flush()
}

func runHealth(s *session, _ []string) error {
	h, err := s.client.Health(s.ctx)
	if err != nil && h.Status == "" {
		return err // no answer at all
	}
	if s.json() {
		if perr := printJSON(s.stdout, h); perr != nil {
			return perr
		}
	} else {
		fmt.Fprintf(s.stdout, "%s: %s\n", h.Status, h.Message)
	}
	if err != nil || h.Status != client.HealthHealthy {
		return errSilentFailure
	}
	return nil
}

func runInfo(s *session, _ []string) error {
	info, err := s.client.ServerInfo(s.ctx)
	if err != nil {
		return err
	}
	if s.json() {
		return printJSON(s.stdout, info)
	}
	t := newTable(s.stdout)
	t.row("URL", s.client.BaseURL())
	t.row("VERSION", orDash(info.Version))
	t.row("COMMIT", orDash(info.Commit))
	t.row("KAFKA CLUSTER", orDash(info.KafkaClusterID))
	return t.flush()
}

func runApply(s *session, args []string) error {
	conns, err := LoadConnectors(args[0], s.env)
	if err != nil {
		return err
	}
	results, err := Apply(s.ctx, s.client, conns, ApplyOptions{DryRun: s.dryRun})
	if s.json() {
		if results == nil {
			results = []ApplyResult{}
		}
		if perr := printJSON(s.stdout, results); perr != nil {
			return perr
		}
	} else {
		for _, r := range results {
			line := string(r.Action) + " " + r.Name
			if r.DryRun {
				line += " (dry run"
				if len(r.Changed) > 0 {
					line += "; changed: " + strings.Join(r.Changed, ", ")
				}
				line += ")"
			}
			fmt.Fprintln(s.stdout, line)
		}
	}
	return err
}

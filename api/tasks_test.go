package api

import (
	"net/http"
	"testing"

	"github.com/tributarydata/tributary/bus/worker"
)

func TestListTasks(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "hologres", 2)
	var tasks []worker.TaskInfo
	expect(t, do(t, h, "GET", "/connectors/a/tasks", nil, nil), http.StatusOK, &tasks)
	if len(tasks) != 2 || tasks[1].ID != (worker.TaskID{Connector: "a", Task: 1}) || tasks[1].Config["task.id"] != "1" {
		t.Fatalf("tasks = %+v", tasks)
	}
	f.add("empty", "hologres", 0)
	w := do(t, h, "GET", "/connectors/empty/tasks", nil, nil)
	expect(t, w, http.StatusOK, nil)
	if w.Body.String() != "[]\n" {
		t.Fatalf("no tasks = %q, want []", w.Body.String())
	}
	expectError(t, do(t, h, "GET", "/connectors/zz/tasks", nil, nil), http.StatusNotFound)
}

func TestTaskStatus(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "mysql", 2)
	var st worker.TaskState
	expect(t, do(t, h, "GET", "/connectors/a/tasks/1/status", nil, nil), http.StatusOK, &st)
	if st.ID != 1 || st.State.State != worker.StateRunning || st.WorkerID != "w1" {
		t.Fatalf("task status = %+v", st)
	}
	if args := f.lastCall("TaskStatus"); args[0] != "a" || args[1] != 1 {
		t.Fatalf("controller got %v", args)
	}
	// The fake wraps ErrNotFound with its own text, which is kept.
	expectError(t, do(t, h, "GET", "/connectors/a/tasks/7/status", nil, nil), http.StatusNotFound, "task a-7")
	for _, bad := range []string{"x", "-1", "1.5", "99999999999999999999"} {
		expectError(t, do(t, h, "GET", "/connectors/a/tasks/"+bad+"/status", nil, nil), http.StatusNotFound, "not a non-negative integer")
	}
}

func TestRestartTask(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "mysql", 2)
	expectEmpty(t, do(t, h, "POST", "/connectors/a/tasks/0/restart", nil, nil), http.StatusNoContent)
	if args := f.lastCall("RestartTask"); args[0] != "a" || args[1] != 0 {
		t.Fatalf("controller got %v", args)
	}
	expectError(t, do(t, h, "POST", "/connectors/a/tasks/5/restart", nil, nil), http.StatusNotFound)
	expectError(t, do(t, h, "POST", "/connectors/a/tasks/abc/restart", nil, nil), http.StatusNotFound, `"abc"`)
	f.fail["RestartTask"] = worker.ErrConflict
	expectError(t, do(t, h, "POST", "/connectors/a/tasks/0/restart", nil, nil), http.StatusConflict, `task 0 of connector "a"`)
}

package api

import (
	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// The normalize functions turn nil slices and maps into empty ones, so clients
// see [] and {} as Kafka Connect sends them, never null.

func normalizeInfo(info worker.ConnectorInfo) worker.ConnectorInfo {
	if info.Config == nil {
		info.Config = map[string]string{}
	}
	if info.Tasks == nil {
		info.Tasks = []worker.TaskID{}
	}
	return info
}

func normalizeStatus(st worker.ConnectorStatus) worker.ConnectorStatus {
	if st.Tasks == nil {
		st.Tasks = []worker.TaskState{}
	}
	return st
}

func normalizeTasks(tasks []worker.TaskInfo) []worker.TaskInfo {
	if tasks == nil {
		return []worker.TaskInfo{}
	}
	out := make([]worker.TaskInfo, len(tasks))
	for i, t := range tasks {
		if t.Config == nil {
			t.Config = map[string]string{}
		}
		out[i] = t
	}
	return out
}

func normalizeOffsets(o worker.Offsets) worker.Offsets {
	if o.Offsets == nil {
		o.Offsets = []record.Position{}
	}
	return o
}

func normalizeWorkers(ws []worker.WorkerInfo) []worker.WorkerInfo {
	out := make([]worker.WorkerInfo, len(ws))
	for i, w := range ws {
		if w.Tasks == nil {
			w.Tasks = []worker.TaskID{}
		}
		out[i] = w
	}
	return out
}

func normalizeKeys(keys []sdk.ConfigKey) []sdk.ConfigKey {
	out := make([]sdk.ConfigKey, len(keys))
	for i, k := range keys {
		if k.Dependents == nil {
			k.Dependents = []string{}
		}
		out[i] = k
	}
	return out
}

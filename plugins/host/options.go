package host

import (
	"log/slog"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Options apply to every process the host starts for a binary.
type Options struct {
	// Args are the command-line arguments of every plugin process.
	Args []string
	// Env holds extra KEY=value variables, over the worker's environment,
	// which plugin processes inherit.
	Env []string
	// Logger gets each line the plugins write to stderr and stdout; nil
	// discards them (error messages still quote the last lines).
	Logger *slog.Logger
	// Timeout bounds the start of a process and the Describe, Validate and
	// TaskConfigs calls; 0 means DefaultTimeout. A task's calls are bounded
	// by its plugin.call.timeout.ms instead.
	Timeout time.Duration
}

// DefaultTimeout is the default of Options.Timeout and of plugin.call.timeout.ms.
const DefaultTimeout = 30 * time.Second

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// hostConfig holds the keys the host adds to every external plugin's spec.
type hostConfig struct {
	CallTimeout time.Duration `json:"plugin.call.timeout.ms" default:"30000" validate:"gt=0" importance:"low" group:"Plugin process" display:"Plugin call timeout (ms)" doc:"How long (ms) the worker waits for one call into the plugin process (a batch to process, write or read; open; flush) before it kills the process and fails the task. A source's Read returns an empty batch before this when no data arrives."`
}

// hostKeys is the spec of hostConfig, numbered after the plugin's own keys.
func hostKeys(after int) []sdk.ConfigKey {
	keys, err := sdk.Spec(&hostConfig{})
	if err != nil {
		panic("host: hostConfig spec: " + err.Error()) // a static struct: a test catches it
	}
	for i := range keys {
		keys[i].Order = after + i + 1
	}
	return keys
}

// callTimeout reads plugin.call.timeout.ms from cfg, or the default when it
// is missing or invalid (validation reports an invalid value).
func callTimeout(cfg sdk.Config) time.Duration {
	var hc hostConfig
	if sdk.Decode(cfg, &hc) != nil {
		return DefaultTimeout
	}
	return hc.CallTimeout
}

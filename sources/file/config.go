package file

import "time"

// Config is the file source's configuration. The keys are those of Kafka
// Connect's FileStreamSource, so its connector configs carry over; the rest
// are additions with defaults.
type Config struct {
	File string `json:"file" validate:"required" importance:"high" doc:"Path of the file to read. A relative path is resolved against the worker's working directory; the absolute path names the source partition of the stored positions."`
	// Topic is where every line goes.
	Topic string `json:"topic" validate:"required" importance:"high" doc:"Topic the lines are written to."`
	// BatchSize bounds the records handed to the runtime per Read.
	BatchSize int `json:"batch.size" default:"2000" validate:"gt=0" importance:"low" doc:"Maximum number of lines returned by one read."`
	// MaxLineBytes bounds the memory one line can take.
	MaxLineBytes int `json:"max.line.bytes" default:"1048576" validate:"gt=0" importance:"medium" doc:"Longest line kept whole, in bytes. A longer line is cut to this length, carries the header tributary.line.truncated with its full length, and is logged as a warning."`
	// PollInterval is how long Read sleeps at the end of the file.
	PollInterval time.Duration `json:"poll.interval.ms" default:"250" validate:"gt=0" importance:"low" doc:"How long to wait at the end of the file before looking again for new data, truncation or rotation, in milliseconds."`
}

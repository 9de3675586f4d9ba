package file

// Config is the file sink's configuration, with the keys of Kafka Connect's
// FileStreamSink.
type Config struct {
	File string `json:"file" validate:"required" importance:"high" doc:"Path of the file the record values are appended to, one per line. The sink keeps its Kafka offsets beside it in <file>.offsets."`
	// Topics is subscribed by the runtime; it is declared so validation and
	// the generated spec know the key.
	Topics []string `json:"topics" importance:"high" doc:"Topics to read, comma separated (subscribed by the runtime)."`
}

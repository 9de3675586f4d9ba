package datagen

// Config is the generator's configuration.
type Config struct {
	Topic string `json:"topic" validate:"required" importance:"high" doc:"Topic the generated records are written to."`
	// Rate is a target, kept over the life of the task: a slow consumer
	// does not make the generator burst later beyond one batch.
	Rate         float64 `json:"rate" default:"0" validate:"gte=0" importance:"high" doc:"Records per second; 0 generates as fast as the pipeline takes them."`
	Count        int64   `json:"count" default:"0" validate:"gte=0" importance:"high" doc:"Records to generate in total, counted across restarts; 0 is unlimited."`
	BatchSize    int     `json:"batch.size" default:"1000" validate:"gt=0" importance:"low" doc:"Maximum number of records returned by one read."`
	PayloadBytes int     `json:"payload.bytes" default:"64" validate:"gte=0" importance:"medium" doc:"Length of the random payload string of each record."`
	Seed         int64   `json:"seed" default:"1" importance:"low" doc:"Seed of the payloads: the same seed gives the same records (but for ts)."`
}

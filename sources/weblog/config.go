package weblog

import "time"

// Config is the weblog source's configuration.
type Config struct {
	Glob    string   `json:"path.glob" validate:"required" importance:"high" group:"Files" doc:"Files to tail, as a glob pattern (*, ? and [...] as in Go's filepath.Match, no **), e.g. /var/log/nginx/access.log*. Let it match the rotated names too (access.log.1), so a restart during a rotation loses nothing and copytruncate copies are recognised. A relative pattern is resolved against the worker's working directory; the absolute pattern names the source partition of the stored positions."`
	Exclude []string `json:"path.exclude" default:"*.gz,*.bz2,*.xz,*.zst,*.zip,*.lz4" importance:"medium" group:"Files" doc:"Glob patterns of base names never read, though the path.glob matches them: compressed rotations are not text."`
	Topic   string   `json:"topic" validate:"required" importance:"high" doc:"Topic the parsed lines are written to."`

	Format    string `json:"format" default:"combined" validate:"oneof=combined json custom" importance:"high" group:"Format" doc:"How lines are written: combined (nginx's predefined format), json (one JSON object per line, as log_format ... escape=json writes) or custom (the log_format in log.format)."`
	LogFormat string `json:"log.format" importance:"high" group:"Format" width:"LONG" doc:"For format=custom: the log_format string in nginx's syntax, without nginx's quotes, e.g. $remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_time. A variable's value runs up to the first occurrence of the text that follows it, so two variables need text between them, and a value that may hold that text (a space) must be quoted, as nginx's combined format does."`
	LogEscape string `json:"log.escape" default:"default" validate:"oneof=default json none" importance:"medium" group:"Format" doc:"For format=custom: the escape= parameter of the log_format, which says how nginx escaped the values (default: \\xHH)."`

	BeaconPaths    []string `json:"beacon.paths" importance:"medium" group:"Beacons" doc:"Request paths of tracking beacons, e.g. /t.gif,/collect. The query string of a request to one of them becomes the object params, keys and values URL-decoded."`
	BeaconRepeated string   `json:"beacon.repeated" default:"array" validate:"oneof=array first last" importance:"low" group:"Beacons" doc:"A beacon parameter that appears more than once keeps all its values as a JSON array (array), or only its first or last value; a parameter that appears once is always a string."`

	KeyField string `json:"key.field" importance:"medium" doc:"Output field whose value is the record key, e.g. remote_addr, or params.uid for a beacon parameter. Records without that field, and all records when empty, have no key."`

	MaxLineBytes     int           `json:"max.line.bytes" default:"1048576" validate:"gt=0" importance:"medium" group:"Limits" doc:"Longest line read, in bytes. A longer line becomes one faulty record (dead-lettered with errors.tolerance=all) holding its first max.line.bytes bytes; reading goes on after it."`
	BatchSize        int           `json:"batch.size" default:"2000" validate:"gt=0" importance:"low" group:"Limits" doc:"Maximum number of records returned by one read."`
	BatchBytes       int           `json:"batch.max.bytes" default:"8388608" validate:"gt=0" importance:"low" group:"Limits" doc:"A read returns once its records hold this many bytes, so memory stays bounded when lines are long."`
	MaxFiles         int           `json:"files.max" default:"1000" validate:"gt=0" importance:"low" group:"Limits" doc:"Most files tracked (and kept open) at once. The task fails when path.glob matches more, rather than leave some unread."`
	FingerprintBytes int           `json:"fingerprint.bytes" default:"256" validate:"gte=16,lte=65536" importance:"low" group:"Files" doc:"Files are recognised by a checksum of their first this many bytes, so a renamed or copied file is not read twice; a shorter file is recognised by its inode until it grows."`
	ReadFrom         string        `json:"read.from" default:"beginning" validate:"oneof=beginning end" importance:"medium" group:"Files" doc:"Where files found at the very first start (no stored position) are read from. Files that appear later are always read from their beginning."`
	PollInterval     time.Duration `json:"poll.interval.ms" default:"250" validate:"gt=0" importance:"low" group:"Files" doc:"How long to wait, when every file is read to its end, before looking for new data, new files, rotation and truncation, in milliseconds."`
	ScanInterval     time.Duration `json:"scan.interval.ms" default:"1000" validate:"gt=0" importance:"low" group:"Files" doc:"How often the glob is matched again while there is data to read, in milliseconds."`
	RotateWait       time.Duration `json:"rotate.wait.ms" default:"10000" validate:"gte=0" importance:"low" group:"Files" doc:"How long a file that the glob no longer matches (renamed away or deleted) is kept open after it last grew, for the writer to finish with it, before it is closed and forgotten, in milliseconds."`
}

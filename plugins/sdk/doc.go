// Package sdk is the only package a Tributary connector imports, built in or
// third party: the Source, Sink and Transform lifecycles, the record model, the
// Plugin descriptor that registers a connector, config structs whose spec,
// validation and documentation are generated from their tags, and the error
// values a connector uses to tell the runtime how to treat a failure.
//
// Every interface ends in an unexported method; implementations embed the
// matching Unimplemented* struct, so adding a method to an interface later does
// not break them.
//
// Delivery contract: a source hands records with positions to the runtime and
// forgets nothing until Ack names those positions, which happens only after
// Kafka confirmed every record up to them and the positions were stored. A sink
// must have made every record it reported as written durable when Flush
// returns; the runtime commits consumer offsets only after that.
//
// Config structs: a plugin's Config is a struct whose exported fields with a
// json tag are its config keys; Spec, Validate, Decode, Masked and
// RenderMarkdown all read the same tags:
//
//	type Config struct {
//		Common                 // embedded: its keys are flattened in
//		DB     DBConfig        `json:"database"` // keys database.<child>
//		File   string          `json:"file" validate:"required" doc:"Path of the file." group:"File"`
//		Mode   string          `json:"mode" default:"append" validate:"oneof=append truncate"`
//		Max    int             `json:"tasks.max" default:"1" validate:"gt=0"`
//		Wait   time.Duration   `json:"poll.interval" default:"1000"` // milliseconds or "1s"
//		Topics []string        `json:"topics" validate:"min=1,regexp=^[a-z.]+$"`
//		Token  sdk.Password    `json:"api.token"` // prints as [hidden]
//	}
//
// Field types are string, bool, int and int32 (INT), int64 and time.Duration
// (LONG), float64 (DOUBLE), []string (LIST, comma-separated) and Password. The
// validate rules are required, gt, gte, lt, lte, min, max (a length for
// strings and lists), oneof and regexp, which must come last and may hold
// commas. Other tags: doc, importance (high, medium, low), group, display,
// width, and type (password or class). A blank value counts as missing: the
// default applies, or required fails; a key with neither reads as the zero
// value, and rules other than required check only values that are set.
package sdk

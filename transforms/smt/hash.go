package smt

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/value"
)

const hashSummary = "Puts the lower-case hex digest of a field's text into the record key and/or a field: the warehouse's rowkey = MD5(id)."

type hashConfig struct {
	Field     string `json:"field" validate:"required" doc:"Field whose text is hashed (a number hashes its digits, as SQL's MD5(CAST(x AS VARCHAR)))." importance:"high"`
	Algorithm string `json:"algorithm" default:"md5" validate:"oneof=md5 sha1 sha256" doc:"Digest algorithm."`
	ToKey     bool   `json:"to.key" default:"false" doc:"Make the digest the record key."`
	ToField   string `json:"to.field" doc:"Field that receives the digest."`
}

type hashStep struct {
	field string
	// sum appends text's digest to dst. The one-shot functions (md5.Sum)
	// keep the state on the stack, where hash.Hash's Reset, Write and Sum
	// copy it around: the digest is a tenth of the signal ETL's time.
	sum     func(dst, text []byte) []byte
	toKey   bool
	toField string
	hint    int // where the field was last time
	digest  []byte
	text    []byte
}

func buildHash(cfg sdk.Config, _ Config) (step, error) {
	c, err := decode[hashConfig](cfg)
	if err != nil {
		return nil, err
	}
	c.ToField = strings.TrimSpace(c.ToField)
	if !c.ToKey && c.ToField == "" {
		return nil, &sdk.KeyError{Key: "to.field", Err: errors.New("set to.key=true or to.field: the digest must go somewhere")}
	}
	s := &hashStep{field: value.Intern(c.Field), toKey: c.ToKey, toField: value.Intern(c.ToField), hint: -1}
	switch c.Algorithm {
	case "sha1":
		s.sum = func(dst, text []byte) []byte { d := sha1.Sum(text); return append(dst, d[:]...) }
	case "sha256":
		s.sum = func(dst, text []byte) []byte { d := sha256.Sum256(text); return append(dst, d[:]...) }
	default:
		s.sum = func(dst, text []byte) []byte { d := md5.Sum(text); return append(dst, d[:]...) }
	}
	return s, nil
}

func (s *hashStep) apply(c *cursor) error {
	row, err := c.fields()
	if err != nil {
		return err
	}
	var v value.Value
	if i := row.IndexFrom(s.hint, s.field); i >= 0 {
		v, s.hint = row.Fields[i].Value, i
	}
	if v.IsNull() {
		return fmt.Errorf("field %s is null or missing: nothing to hash", s.field)
	}
	s.text = v.AppendText(s.text[:0])
	s.digest = s.sum(s.digest[:0], s.text)
	if s.toKey {
		start := len(c.batch)
		c.batch = hex.AppendEncode(c.batch, s.digest)
		c.rec.Key = c.batchSince(start)
	}
	if s.toField != "" {
		row.Set(s.toField, value.OfString(hex.EncodeToString(s.digest)))
		c.changed()
	}
	return nil
}

package smt

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
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
	field   string
	h       hash.Hash
	toKey   bool
	toField string
	sum     []byte
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
	s := &hashStep{field: c.Field, toKey: c.ToKey, toField: c.ToField}
	switch c.Algorithm {
	case "sha1":
		s.h = sha1.New()
	case "sha256":
		s.h = sha256.New()
	default:
		s.h = md5.New()
	}
	return s, nil
}

func (s *hashStep) apply(c *cursor) error {
	row, err := c.fields()
	if err != nil {
		return err
	}
	v, _ := row.Get(s.field)
	if v.IsNull() {
		return fmt.Errorf("field %s is null or missing: nothing to hash", s.field)
	}
	s.h.Reset()
	s.text = v.AppendText(s.text[:0])
	s.h.Write(s.text)
	s.sum = s.h.Sum(s.sum[:0])
	digest := hex.EncodeToString(s.sum)
	if s.toKey {
		c.rec.Key = []byte(digest)
	}
	if s.toField != "" {
		row.Set(s.toField, value.OfString(digest))
		c.changed()
	}
	return nil
}

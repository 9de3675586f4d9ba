package cluster

import (
	"strings"
	"testing"
)

func TestSecurityOptionsFollowLibrdkafkaProperties(t *testing.T) {
	for _, tt := range []struct {
		props map[string]string
		opts  int
		err   string
	}{
		{props: nil, opts: 0},
		{props: map[string]string{"security.protocol": "plaintext"}, opts: 0},
		{props: map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "u", "sasl.password": "p"}, opts: 1},
		{props: map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanisms": "PLAIN"}, opts: 2},
		{props: map[string]string{"security.protocol": "SSL", "ssl.ca.location": "/does/not/exist"}, err: "ssl.ca.location"},
		{props: map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "GSSAPI"}, err: "GSSAPI"},
		{props: map[string]string{"security.protocol": "carrier-pigeon"}, err: "carrier-pigeon"},
	} {
		opts, err := securityOptions(tt.props)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: err %v, want one naming %q", tt.props, err, tt.err)
			}
			continue
		}
		if err != nil || len(opts) != tt.opts {
			t.Errorf("%v: %d options, err %v; want %d", tt.props, len(opts), err, tt.opts)
		}
	}
}

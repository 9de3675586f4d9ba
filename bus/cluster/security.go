package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// securityOptions translates the librdkafka security properties the worker's
// other clients use (security.protocol, sasl.*, ssl.*) into the member's
// client options, so one worker config serves both clients.
func securityOptions(props map[string]string) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	protocol := strings.ToUpper(props["security.protocol"])
	switch protocol {
	case "", "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL":
	default:
		return nil, fmt.Errorf("security.protocol %q is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL", props["security.protocol"])
	}
	if strings.HasSuffix(protocol, "SSL") {
		cfg, err := tlsConfig(props)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if strings.HasPrefix(protocol, "SASL") {
		user, pass := props["sasl.username"], props["sasl.password"]
		switch mech := strings.ToUpper(props["sasl.mechanisms"]); mech {
		case "", "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
		default:
			return nil, fmt.Errorf("sasl.mechanisms %q: the group member speaks PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512", mech)
		}
	}
	return opts, nil
}

func tlsConfig(props map[string]string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if v := props["enable.ssl.certificate.verification"]; strings.EqualFold(v, "false") {
		cfg.InsecureSkipVerify = true
	}
	if ca := props["ssl.ca.location"]; ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("ssl.ca.location: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ssl.ca.location %s holds no PEM certificate", ca)
		}
	}
	cert, key := props["ssl.certificate.location"], props["ssl.key.location"]
	if cert != "" || key != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("ssl.certificate.location/ssl.key.location: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

package sdk

import (
	"errors"
	"testing"
)

func TestUnderPrefix(t *testing.T) {
	var verr *ValidationError
	if err := UnderPrefix("b.x.", &ValidationError{Fields: map[string][]string{"topic": {"required"}}}); !errors.As(err, &verr) || len(verr.Fields["b.x.topic"]) != 1 {
		t.Errorf("a validation error: %v", err)
	}
	var kerr *KeyError
	if err := UnderPrefix("b.x.", ErrorAtKey("transforms.f.type", errors.New("unknown"))); !errors.As(err, &kerr) || kerr.Key != "b.x.transforms.f.type" {
		t.Errorf("a key error: %v", err)
	}
	if err := UnderPrefix("b.x.", errors.New("broken")); !errors.As(err, &kerr) || kerr.Key != "b.x" || kerr.Error() != "b.x: broken" {
		t.Errorf("another error: %v", err)
	}
}

package value

import (
	"strings"
	"testing"
	"unsafe"
)

func TestInternSharesOneCopy(t *testing.T) {
	a := Intern(strings.Repeat("userId", 1))
	b := Intern(string([]byte("userId")))
	if a != "userId" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Fatalf("Intern gave two copies of userId")
	}
	if !interned(a) || interned(strings.Clone(a)) || interned("never interned") {
		t.Fatalf("interned does not tell Intern's copy from others")
	}
}

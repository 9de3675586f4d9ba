package join

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tributarydata/tributary/transforms/stream"
)

// A side's row is stored as its kept fields, in the order of its fields
// key, as stream.AppendValues writes them: a kind byte, then nothing for
// null, a byte for a boolean, 8 bytes for an integer or a double, a length
// and the text for the rest. It round-trips kinds, so a row read back
// computes the output it computed when it came. (It is the latest
// connector's encoding.)

// Changelog entries: the key is keyEntry and the join key; the value is
// stateVersion, the fingerprint of the sides' fields (4 bytes,
// little-endian), the wall-clock ms of the key's last record (varint), a
// byte of flags saying which parts follow, then each part present as a
// uvarint length and its bytes: the left row, the right row, the key the
// output row was emitted under and that row's JSON.
const (
	keyEntry     = 'k'
	stateVersion = 1

	hasLeft  = 1
	hasRight = 2
	hasOut   = 4
)

// entry is what the state holds for one join key.
type entry struct {
	key         string // the join key, the map key
	left, right []byte // the sides' rows; nil: none
	out, outKey []byte // the output row last emitted, as emitted, and its key; out nil: none
	at          int64  // wall-clock ms of the key's last record
}

// empty reports whether the entry holds nothing worth keeping.
func (e *entry) empty() bool { return e.left == nil && e.right == nil && e.out == nil }

// appendState appends the changelog value of e.
func appendState(dst []byte, print uint32, e *entry) []byte {
	dst = append(dst, stateVersion)
	dst = binary.LittleEndian.AppendUint32(dst, print)
	dst = binary.AppendVarint(dst, e.at)
	var flags byte
	if e.left != nil {
		flags |= hasLeft
	}
	if e.right != nil {
		flags |= hasRight
	}
	if e.out != nil {
		flags |= hasOut
	}
	dst = append(dst, flags)
	part := func(b []byte) {
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		dst = append(dst, b...)
	}
	if e.left != nil {
		part(e.left)
	}
	if e.right != nil {
		part(e.right)
	}
	if e.out != nil {
		part(e.outKey)
		part(e.out)
	}
	return dst
}

var errStoredPrint = errors.New("stored rows written for other left.fields, right.fields or key fields (names, types or keys differ): delete the state changelog topic to start afresh")

// parseState reads a changelog value into e; the parts point into val.
func parseState(val []byte, print uint32, e *entry) error {
	if len(val) < 5 || val[0] != stateVersion {
		return errors.New("stored entry: bad version or truncated")
	}
	if binary.LittleEndian.Uint32(val[1:5]) != print {
		return errStoredPrint
	}
	b := val[5:]
	at, n := binary.Varint(b)
	if n <= 0 || len(b) < n+1 {
		return errors.New("stored entry: bad time")
	}
	e.at = at
	flags := b[n]
	b = b[n+1:]
	if flags&^(hasLeft|hasRight|hasOut) != 0 || flags == 0 {
		return fmt.Errorf("stored entry: bad flags %#x", flags)
	}
	part := func() ([]byte, error) {
		l, w := binary.Uvarint(b)
		if w <= 0 || l > uint64(len(b)-w) {
			return nil, stream.ErrCorrupt
		}
		p := b[w : w+int(l) : w+int(l)]
		b = b[w+int(l):]
		return p, nil
	}
	var err error
	if flags&hasLeft != 0 {
		if e.left, err = part(); err != nil {
			return fmt.Errorf("stored left row: %w", err)
		}
	}
	if flags&hasRight != 0 {
		if e.right, err = part(); err != nil {
			return fmt.Errorf("stored right row: %w", err)
		}
	}
	if flags&hasOut != 0 {
		if e.outKey, err = part(); err != nil {
			return fmt.Errorf("stored output key: %w", err)
		}
		if e.out, err = part(); err != nil {
			return fmt.Errorf("stored output row: %w", err)
		}
	}
	if len(b) != 0 {
		return errors.New("stored entry: bytes after its parts")
	}
	return nil
}

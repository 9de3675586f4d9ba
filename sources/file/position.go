package file

import (
	"strconv"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Keys of the source position. filename and position are Kafka Connect's, so
// offsets moved over from a FileStreamSource keep working; inode is ours and
// optional.
const (
	partitionKeyFile = "filename"
	offsetKeyPos     = "position"
	offsetKeyInode   = "inode"
)

// storedIdentity reads the optional inode of a stored position as its text.
func storedIdentity(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		if n, err := sdk.OffsetInt(x); err == nil {
			return strconv.FormatInt(n, 10)
		}
		return ""
	}
}

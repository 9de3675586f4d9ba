package api

import (
	"fmt"
	"strconv"

	"github.com/gin-gonic/gin"
)

// boolQuery parses a boolean query parameter; absent or empty gives def.
func boolQuery(c *gin.Context, key string, def bool) (bool, error) {
	v := c.Query(key)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest(fmt.Sprintf("query parameter %s must be true or false, not %q", key, v))
	}
	return b, nil
}

package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPISpec describes every route; openapi_test.go keeps it in step with routes.go.
//
//go:embed openapi.yaml
var openAPISpec []byte

// OpenAPISpec returns the OpenAPI 3 description of the API (for docs generators).
func OpenAPISpec() []byte { return append([]byte(nil), openAPISpec...) }

func (s *Server) getOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", openAPISpec)
}

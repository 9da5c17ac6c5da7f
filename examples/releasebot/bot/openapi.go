package bot

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of the bot's routes, served at GET
// /openapi.json. The tests of examples/releasebot/e2e validate every request and
// answer of the bot against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3.1 description of the bot's HTTP API (JSON), the
// document GET /openapi.json serves.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

// openAPI serves the description; it needs no token.
func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(openAPIDocument)
}

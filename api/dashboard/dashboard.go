package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the dashboard's files; it expects paths with the /ui prefix
// stripped. The files are small and change only with the binary, so they
// are served with a validator (the build's modification time is zero in an
// embed.FS, hence no-cache: the browser revalidates and the page is never
// stale after an upgrade).
func Handler() http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	fileServer := http.FileServer(http.FS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		// The page loads nothing from elsewhere; say so to the browser.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
		fileServer.ServeHTTP(w, r)
	})
}

package dashboard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHostCheck: the dashboard answers requests for its IP addresses,
// localhost and the names it was given, and refuses any other Host (a DNS
// rebinding page's own name) with 403 before reading anything.
func TestHostCheck(t *testing.T) {
	d := New(nil, Options{Hosts: []string{"lab-01", "coord.example.org."}})
	for host, ok := range map[string]bool{
		"127.0.0.1:8080":         true,
		"[::1]:8080":             true,
		"10.1.2.3":               true,
		"[fe80::1%25eth0]:8080":  true,
		"localhost:8080":         true,
		"LOCALHOST.":             true,
		"app.localhost:8080":     true,
		"lab-01:8080":            true,
		"Coord.Example.Org":      true,
		"":                       true,
		"evil.example:8080":      false,
		"localhost.evil.example": false,
		"lab-01.evil.example":    false,
		"127.0.0.1.nip.io":       false,
	} {
		req := httptest.NewRequest(http.MethodGet, "/static/app.css", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, req)
		if got := rec.Code != http.StatusForbidden; got != ok {
			t.Errorf("Host %q: %d %q; want allowed %v", host, rec.Code, rec.Body.String(), ok)
		}
		if !ok && !strings.Contains(rec.Body.String(), "is not this dashboard's") {
			t.Errorf("Host %q: refused without saying why: %q", host, rec.Body.String())
		}
	}
}

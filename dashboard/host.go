package dashboard

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// allowedHost reports whether a request's Host header (host or
// host:port) names this dashboard: an IP address, localhost or a name
// under .localhost, or one of hosts (any case). An IP address is always
// accepted: DNS rebinding, where a page of another site has its own name
// resolve to this address so that the browser lets it read the answers,
// needs a name. A request without a Host header (HTTP/1.0) is accepted:
// browsers always send one.
func allowedHost(hostport string, hosts []string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i] // an IPv6 zone
	}
	switch {
	case host == "", net.ParseIP(host) != nil, host == "localhost", strings.HasSuffix(host, ".localhost"):
		return true
	}
	for _, h := range hosts {
		if strings.EqualFold(strings.TrimSuffix(h, "."), host) {
			return true
		}
	}
	return false
}

// refuseHost answers a request for a host that is not this dashboard's.
func refuseHost(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, "host %q is not this dashboard's: open it at its IP address, at localhost, or at a host name it listens on\n", r.Host)
}

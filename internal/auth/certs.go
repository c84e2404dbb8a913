package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pinnsweep/pinnsweep/internal/atomicfile"
)

// Names of the files WriteDevCerts writes.
const (
	CAFile          = "ca.pem"
	CAKeyFile       = "ca-key.pem"
	ServerCertFile  = "server.pem"
	ServerKeyFile   = "server-key.pem"
	AdminCertFile   = "admin.pem"
	AdminKeyFile    = "admin-key.pem"
	WorkerCertFile  = "worker.pem"
	WorkerKeyFile   = "worker-key.pem"
	defaultCertDays = 365
	// MaxCertDays is the longest validity WriteDevCerts gives (100 years).
	MaxCertDays = 36500
)

// DevCertOptions configures WriteDevCerts.
type DevCertOptions struct {
	// Dir receives the files; it is created (mode 0700) if missing.
	Dir string
	// Hosts are the server certificate's names and IP addresses, besides
	// localhost, 127.0.0.1 and ::1, which are always included.
	Hosts []string
	// Days is every certificate's validity, at most MaxCertDays; zero
	// means 365.
	Days int
	// Force replaces existing files; without it an existing file is
	// ErrExists and nothing is written. A file is replaced by renaming a
	// new one over it, never written through: a symbolic link planted in
	// Dir is replaced, its target left alone.
	Force bool
	// Now is the start of validity; zero means the current time.
	Now time.Time
}

// WriteDevCerts writes a development PKI into o.Dir: a CA (ca.pem,
// ca-key.pem), a server certificate for o.Hosts (server.pem,
// server-key.pem) and client certificates for the admin and worker roles
// (admin.pem, admin-key.pem, worker.pem, worker-key.pem; their
// Organizational Unit is the role). Keys are ECDSA P-256 in PKCS #8, mode
// 0600; certificates mode 0644. It returns the paths written.
func WriteDevCerts(o DevCertOptions) ([]string, error) {
	if o.Days == 0 {
		o.Days = defaultCertDays
	}
	if o.Days < 0 || o.Days > MaxCertDays {
		return nil, fmt.Errorf("%w: days = %d: must be in [1, %d]", ErrConfig, o.Days, MaxCertDays)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	names := []string{CAFile, CAKeyFile, ServerCertFile, ServerKeyFile, AdminCertFile, AdminKeyFile, WorkerCertFile, WorkerKeyFile}
	if !o.Force {
		for _, n := range names {
			p := filepath.Join(o.Dir, n)
			if _, err := os.Lstat(p); err == nil {
				return nil, fmt.Errorf("%w: %s (use --force to overwrite)", ErrExists, p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
	}
	dns, ips, err := hostNames(o.Hosts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, err
	}

	notBefore := o.Now.Add(-5 * time.Minute) // tolerate small clock skew
	notAfter := o.Now.AddDate(0, 0, o.Days)  // a time.Duration overflows after 292 years
	caKey, caDER, err := issue(&x509.Certificate{
		Subject:               pkix.Name{CommonName: "pinnsweep development CA", Organization: []string{"pinnsweep"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}, nil, nil)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	leaf := func(cn, ou string, usage x509.ExtKeyUsage) *x509.Certificate {
		c := &x509.Certificate{
			Subject:     pkix.Name{CommonName: cn, Organization: []string{"pinnsweep"}},
			NotBefore:   notBefore,
			NotAfter:    notAfter,
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage},
		}
		if ou != "" {
			c.Subject.OrganizationalUnit = []string{ou}
		}
		return c
	}
	server := leaf("pinnsweep coordinator", "", x509.ExtKeyUsageServerAuth)
	server.DNSNames, server.IPAddresses = dns, ips

	files := []struct {
		cert, key string
		tmpl      *x509.Certificate
	}{
		{ServerCertFile, ServerKeyFile, server},
		{AdminCertFile, AdminKeyFile, leaf("pinnsweep admin", RoleAdmin.String(), x509.ExtKeyUsageClientAuth)},
		{WorkerCertFile, WorkerKeyFile, leaf("pinnsweep worker", RoleWorker.String(), x509.ExtKeyUsageClientAuth)},
	}
	var written []string
	write := func(name, typ string, der []byte, perm os.FileMode) error {
		p := filepath.Join(o.Dir, name)
		if err := writePEM(p, typ, der, perm, o.Force); err != nil {
			return err
		}
		written = append(written, p)
		return nil
	}
	caKeyDER, err := x509.MarshalPKCS8PrivateKey(caKey)
	if err != nil {
		return nil, err
	}
	if err := write(CAKeyFile, "PRIVATE KEY", caKeyDER, 0o600); err != nil {
		return written, err
	}
	if err := write(CAFile, "CERTIFICATE", caDER, 0o644); err != nil {
		return written, err
	}
	for _, f := range files {
		key, der, err := issue(f.tmpl, ca, caKey)
		if err != nil {
			return written, err
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return written, err
		}
		if err := write(f.key, "PRIVATE KEY", keyDER, 0o600); err != nil {
			return written, err
		}
		if err := write(f.cert, "CERTIFICATE", der, 0o644); err != nil {
			return written, err
		}
	}
	return written, nil
}

// hostNames splits hosts into DNS names and IP addresses, adding
// localhost, 127.0.0.1 and ::1.
func hostNames(hosts []string) ([]string, []net.IP, error) {
	dns := []string{"localhost"}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		switch ip := net.ParseIP(h); {
		case h == "":
			continue
		case ip != nil:
			if !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
		case strings.ContainsAny(h, " /:@"):
			return nil, nil, fmt.Errorf("%w: host %q is neither a DNS name nor an IP address", ErrConfig, h)
		default:
			if !slices.Contains(dns, h) {
				dns = append(dns, h)
			}
		}
	}
	return dns, ips, nil
}

// issue creates a key and a certificate from tmpl, signed by parent's key
// (self-signed when parent is nil).
func issue(tmpl, parent *x509.Certificate, parentKey crypto.Signer) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	return key, der, nil
}

// writePEM writes one PEM block to a new file path with mode perm; with
// force it replaces an existing path (by a rename: a symbolic link there is
// replaced, not followed).
func writePEM(path, typ string, der []byte, perm os.FileMode, force bool) error {
	block := &pem.Block{Type: typ, Bytes: der}
	if force {
		return atomicfile.Write(path, perm, func(w io.Writer) error { return pem.Encode(w, block) })
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s (use --force to overwrite)", ErrExists, path)
		}
		return err
	}
	if err := f.Chmod(perm); err != nil { // despite the umask
		f.Close()
		return err
	}
	if err := pem.Encode(f, block); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

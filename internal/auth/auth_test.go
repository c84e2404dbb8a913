package auth

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const env = "PINNSWEEP_TEST_TOKEN"
	tests := []struct {
		name    string
		file    string
		env     *string
		want    string
		wantErr error
	}{
		{"file with newline", file("nl", "s3cret-token\n"), nil, "s3cret-token", nil},
		{"file with CRLF", file("crlf", "s3cret-token\r\n"), nil, "s3cret-token", nil},
		{"file without newline", file("plain", "s3cret-token"), nil, "s3cret-token", nil},
		{"file wins over env", file("wins", "from-file\n"), ptr("from-env"), "from-file", nil},
		{"env", "", ptr("from-env"), "from-env", nil},
		{"neither", "", nil, "", nil},
		{"empty file", file("empty", ""), nil, "", ErrEmptyToken},
		{"newline only", file("blank", "\n"), nil, "", ErrEmptyToken},
		{"empty env", "", ptr(""), "", ErrEmptyToken},
		{"space inside", file("space", "s3cret token\n"), nil, "", ErrBadToken},
		{"control char", file("ctl", "s3cret\x01token"), nil, "", ErrBadToken},
		{"too long", file("long", strings.Repeat("x", MaxTokenLen+1)), nil, "", ErrBadToken},
		{"missing file", filepath.Join(dir, "nosuch"), nil, "", os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != nil {
				t.Setenv(env, *tt.env)
			} else {
				t.Setenv(env, "")
				os.Unsetenv(env)
			}
			got, err := ReadToken(tt.file, env)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadToken = %q, %v; want %v", got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("error %q reveals the token", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ReadToken = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestPolicy(t *testing.T) {
	tests := []struct {
		method string
		want   Role
	}{
		{"/pinnsweep.v1.WorkerService/Lease", RoleWorker},
		{"/pinnsweep.v1.WorkerService/Heartbeat", RoleWorker},
		{"/pinnsweep.v1.WorkerService/Complete", RoleWorker},
		{"/pinnsweep.v1.WorkerService/Release", RoleWorker},
		{"/grpc.health.v1.Health/Check", RoleNone},
		{"/grpc.health.v1.Health/Watch", RoleWorker},
		{"/grpc.health.v1.Health/List", RoleWorker},
		{"/pinnsweep.v1.SweepService/SubmitSweep", RoleAdmin},
		{"/pinnsweep.v1.SweepService/CancelSweep", RoleAdmin},
		{"/pinnsweep.v1.SweepService/ListSweeps", RoleAdmin},
		{"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", RoleAdmin},
		{"/pinnsweep.v2.WorkerService/Lease", RoleAdmin},
		{"garbage", RoleAdmin},
	}
	for _, tt := range tests {
		if got := Policy(tt.method); got != tt.want {
			t.Errorf("Policy(%q) = %v, want %v", tt.method, got, tt.want)
		}
	}
}

func TestServerConfigErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteDevCerts(DevCertOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	cert, key, ca := filepath.Join(dir, ServerCertFile), filepath.Join(dir, ServerKeyFile), filepath.Join(dir, CAFile)
	tests := []struct {
		name string
		cfg  ServerConfig
		want string
	}{
		{"worker token alone", ServerConfig{WorkerToken: "w"}, "needs an admin token"},
		{"equal tokens", ServerConfig{AdminToken: "t", WorkerToken: "t"}, "are equal"},
		{"cert without key", ServerConfig{CertFile: cert}, "go together"},
		{"client CA without cert", ServerConfig{ClientCAFile: ca}, "need a server certificate"},
		{"bad token", ServerConfig{AdminToken: "a b"}, "not printable"},
		{"key does not match", ServerConfig{CertFile: cert, KeyFile: filepath.Join(dir, AdminKeyFile)}, "private key does not match"},
		{"CA file without certificates", ServerConfig{CertFile: cert, KeyFile: key, ClientCAFile: key}, "no PEM certificate"},
		{"missing CA file", ServerConfig{CertFile: cert, KeyFile: key, ClientCAFile: filepath.Join(dir, "nosuch.pem")}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg.ServerOptions()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ServerOptions = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := (ClientConfig{CertFile: filepath.Join(dir, AdminCertFile)}).DialOptions(); !errors.Is(err, ErrConfig) {
		t.Errorf("client certificate without key: %v, want ErrConfig", err)
	}
}

func TestWriteDevCerts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	now := time.Now()
	written, err := WriteDevCerts(DevCertOptions{Dir: dir, Hosts: []string{"coord.example", "10.1.2.3", " "}, Days: 30, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 8 {
		t.Fatalf("wrote %v, want 8 files", written)
	}
	for _, p := range written {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o644)
		if strings.HasSuffix(p, "-key.pem") {
			want = 0o600
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(readCert(t, filepath.Join(dir, CAFile)))
	server := readCert(t, filepath.Join(dir, ServerCertFile))
	for _, host := range []string{"localhost", "127.0.0.1", "::1", "coord.example", "10.1.2.3"} {
		if _, err := server.Verify(x509.VerifyOptions{DNSName: host, Roots: pool, CurrentTime: now}); err != nil {
			t.Errorf("server certificate for %s: %v", host, err)
		}
	}
	if _, err := server.Verify(x509.VerifyOptions{DNSName: "other.example", Roots: pool, CurrentTime: now}); err == nil {
		t.Error("server certificate valid for a host it does not name")
	}
	if _, err := server.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now.Add(31 * 24 * time.Hour)}); err == nil {
		t.Error("server certificate valid after --days")
	}
	for file, role := range map[string]Role{AdminCertFile: RoleAdmin, WorkerCertFile: RoleWorker} {
		c := readCert(t, filepath.Join(dir, file))
		if _, err := c.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("%s: %v", file, err)
		}
		if got := certRole(c); got != role {
			t.Errorf("%s: role %v, want %v", file, got, role)
		}
	}
	if got := certRole(server); got != RoleNone {
		t.Errorf("server certificate has role %v", got)
	}

	// A second run refuses to overwrite and changes nothing; --force does.
	before, _ := os.ReadFile(filepath.Join(dir, CAFile))
	if _, err := WriteDevCerts(DevCertOptions{Dir: dir}); !errors.Is(err, ErrExists) {
		t.Fatalf("second run: %v, want ErrExists", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, CAFile)); string(after) != string(before) {
		t.Fatal("a refused run changed ca.pem")
	}
	os.Chmod(filepath.Join(dir, CAKeyFile), 0o644)
	if _, err := WriteDevCerts(DevCertOptions{Dir: dir, Force: true}); err != nil {
		t.Fatalf("--force: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, CAFile)); string(after) == string(before) {
		t.Fatal("--force did not replace ca.pem")
	}
	if fi, _ := os.Stat(filepath.Join(dir, CAKeyFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("overwritten key has mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := WriteDevCerts(DevCertOptions{Dir: t.TempDir(), Hosts: []string{"http://x"}}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad host: %v, want ErrConfig", err)
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s: no certificate", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

package cliconfig

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/pinnsweep/pinnsweep/internal/atomicfile"
	"github.com/pinnsweep/pinnsweep/internal/safefile"
)

// EnvConfig names the config file, overriding the default path.
const EnvConfig = "PINNSWEEP_CONFIG"

// MaxFileSize bounds the config file: a larger file is refused before it
// is read.
const MaxFileSize = 1 << 20

// MaxNameLen bounds a context name.
const MaxNameLen = 64

// Errors of the package.
var (
	// ErrUnsafeFile: the config file is writable by others or owned by
	// another user.
	ErrUnsafeFile = errors.New("unsafe config file")
	// ErrNoContext: a context name that the file does not have.
	ErrNoContext = errors.New("no such context")
	// ErrBadConfig: the file or a context in it is malformed.
	ErrBadConfig = errors.New("bad config")
)

// Context is one named set of connection settings. Empty fields are unset.
type Context struct {
	// Name identifies the context: 1 to MaxNameLen characters from
	// [A-Za-z0-9._-].
	Name string `yaml:"name" json:"name"`
	// Settings are the connection settings.
	Settings `yaml:",inline" json:",inline"`
}

// Settings are the connection settings of a client command. Empty fields
// are unset.
type Settings struct {
	// Coordinator is the coordinator's address, host:port.
	Coordinator string `yaml:"coordinator,omitempty" json:"coordinator,omitempty"`
	// CA is a PEM file of CA certificates that sign the coordinator's
	// certificate (implies TLS).
	CA string `yaml:"ca,omitempty" json:"ca,omitempty"`
	// Cert and Key are the client certificate and key PEM files (mTLS).
	Cert string `yaml:"cert,omitempty" json:"cert,omitempty"`
	Key  string `yaml:"key,omitempty" json:"key,omitempty"`
	// ServerName is the name the coordinator's certificate must carry.
	ServerName string `yaml:"server-name,omitempty" json:"server_name,omitempty"`
	// TokenFile is a file holding the access token.
	TokenFile string `yaml:"token-file,omitempty" json:"token_file,omitempty"`
}

// Config is the config file's contents.
type Config struct {
	// Current names the context used when none is chosen otherwise; "" for
	// none.
	Current string `yaml:"current-context,omitempty"`
	// Contexts are the named contexts, in name order once saved.
	Contexts []Context `yaml:"contexts,omitempty"`
}

// DefaultPath returns the config file's path: $PINNSWEEP_CONFIG when set,
// else os.UserConfigDir()/pinnsweep/config.yaml.
func DefaultPath() (string, error) {
	if p := os.Getenv(EnvConfig); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("locating the config file (set $%s): %w", EnvConfig, err)
	}
	return filepath.Join(dir, "pinnsweep", "config.yaml"), nil
}

// Load reads the config file at path. A missing file is an empty Config.
// It refuses an unsafe file (ErrUnsafeFile), one over MaxFileSize, and a
// malformed one (ErrBadConfig, naming the line).
func Load(path string) (*Config, error) {
	// Opened without blocking, so that a named pipe is refused at once by
	// checkSafe rather than waited on.
	f, err := safefile.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	if err := checkSafe(path, fi); err != nil {
		return nil, err
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%w: config file %s is %d bytes; the limit is %d", ErrBadConfig, path, fi.Size(), MaxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: config file %s is over %d bytes", ErrBadConfig, path, MaxFileSize)
	}
	return Parse(path, data)
}

// Parse decodes a config file's contents (path names it in errors).
func Parse(path string, data []byte) (*Config, error) {
	c := &Config{}
	if len(strings.TrimSpace(string(data))) > 0 {
		if err := yaml.UnmarshalWithOptions(data, c, yaml.Strict()); err != nil {
			msg := oneLine(yaml.FormatError(err, false, false))
			if m := yamlPos.FindStringSubmatch(msg); m != nil {
				msg = "line " + m[1] + ": " + msg[len(m[0]):]
			}
			return nil, fmt.Errorf("%w: %s: %s", ErrBadConfig, path, msg)
		}
	}
	seen := map[string]bool{}
	for i, ctx := range c.Contexts {
		if err := CheckName(ctx.Name); err != nil {
			return nil, fmt.Errorf("%w: %s: context %d: %v", ErrBadConfig, path, i+1, err)
		}
		if seen[ctx.Name] {
			return nil, fmt.Errorf("%w: %s: context %q is defined twice", ErrBadConfig, path, ctx.Name)
		}
		seen[ctx.Name] = true
	}
	if c.Current != "" && !seen[c.Current] {
		return nil, fmt.Errorf("%w: %s: current-context %q is not among the contexts", ErrBadConfig, path, c.Current)
	}
	return c, nil
}

// yamlPos is the "[line:column] " prefix of the YAML decoder's messages.
var yamlPos = regexp.MustCompile(`^\[(\d+):\d+\] `)

// oneLine joins the lines of a message.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// CheckName reports what is wrong with a context name, or nil.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("empty context name")
	case len(name) > MaxNameLen:
		return fmt.Errorf("context name of %d characters; the limit is %d", len(name), MaxNameLen)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("context name %q: use letters, digits, '.', '_' and '-'", name)
		}
	}
	return nil
}

// Save writes c to path atomically with mode 0600, creating its directory
// with mode 0700 if missing. Contexts are saved in name order.
func (c *Config) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	out := Config{Current: c.Current, Contexts: slices.Clone(c.Contexts)}
	slices.SortFunc(out.Contexts, func(a, b Context) int { return strings.Compare(a.Name, b.Name) })
	data, err := yaml.MarshalWithOptions(out, yaml.IndentSequence(true))
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, atomicfile.Private)
}

// Get returns the context named name.
func (c *Config) Get(name string) (*Context, error) {
	for i := range c.Contexts {
		if c.Contexts[i].Name == name {
			return &c.Contexts[i], nil
		}
	}
	return nil, fmt.Errorf("%w %q (pinnsweep context list shows them)", ErrNoContext, name)
}

// Put adds ctx, or replaces the context of its name.
func (c *Config) Put(ctx Context) {
	for i := range c.Contexts {
		if c.Contexts[i].Name == ctx.Name {
			c.Contexts[i] = ctx
			return
		}
	}
	c.Contexts = append(c.Contexts, ctx)
}

// Delete removes the context named name, and unsets the current context
// if it was that one.
func (c *Config) Delete(name string) error {
	if _, err := c.Get(name); err != nil {
		return err
	}
	c.Contexts = slices.DeleteFunc(c.Contexts, func(x Context) bool { return x.Name == name })
	if c.Current == name {
		c.Current = ""
	}
	return nil
}

package cliconfig

import "fmt"

// Environment variables of the connection settings.
const (
	EnvCoordinator = "PINNSWEEP_COORDINATOR"
	EnvCA          = "PINNSWEEP_CA"
	EnvCert        = "PINNSWEEP_CERT"
	EnvKey         = "PINNSWEEP_KEY"
	EnvServerName  = "PINNSWEEP_SERVER_NAME"
	EnvTokenFile   = "PINNSWEEP_TOKEN_FILE"
	// EnvToken holds a token itself (auth.EnvToken).
	EnvToken = "PINNSWEEP_TOKEN"
	// EnvContext names the context to use instead of the current one.
	EnvContext = "PINNSWEEP_CONTEXT"
)

// Field describes one connection setting: its flag, its environment
// variable and where it lives in Settings.
type Field struct {
	// Flag is the command-line flag's name.
	Flag string
	// Env is the environment variable.
	Env string
	// Path reports whether the value is a file path (made absolute by
	// `context set`).
	Path bool
	// Ptr returns the field of s.
	Ptr func(s *Settings) *string
}

// Fields are the connection settings, in display order.
var Fields = []Field{
	{Flag: "coordinator", Env: EnvCoordinator, Ptr: func(s *Settings) *string { return &s.Coordinator }},
	{Flag: "ca", Env: EnvCA, Path: true, Ptr: func(s *Settings) *string { return &s.CA }},
	{Flag: "cert", Env: EnvCert, Path: true, Ptr: func(s *Settings) *string { return &s.Cert }},
	{Flag: "key", Env: EnvKey, Path: true, Ptr: func(s *Settings) *string { return &s.Key }},
	{Flag: "server-name", Env: EnvServerName, Ptr: func(s *Settings) *string { return &s.ServerName }},
	{Flag: "token-file", Env: EnvTokenFile, Path: true, Ptr: func(s *Settings) *string { return &s.TokenFile }},
}

// Source says where a resolved setting came from.
type Source string

// Sources of a setting; a context source is "context NAME".
const (
	FromNone Source = ""
	FromFlag Source = "flag"
	FromEnv  Source = "environment"
)

// fromContext returns the source of a setting from the context name.
func fromContext(name string) Source { return Source("context " + name) }

// Input is what Resolve combines.
type Input struct {
	// Flags are the values of the connection flags, and Given which of
	// them were on the command line (by flag name).
	Flags Settings
	Given map[string]bool
	// ContextFlag is --context's value ("" when not given).
	ContextFlag string
	// Env looks up an environment variable (os.LookupEnv).
	Env func(string) (string, bool)
	// Config is the config file's contents (nil: no file).
	Config *Config
}

// Resolved are the settings a command uses, with their sources.
type Resolved struct {
	Settings
	// TokenEnv is set when the token is to be read from $PINNSWEEP_TOKEN
	// (and TokenFile is then "").
	TokenEnv bool
	// Context names the context that was applied, "" for none.
	Context string
	// From holds each setting's source, by flag name ("token-file" is
	// FromEnv when TokenEnv is set).
	From map[string]Source
}

// Resolve applies the precedence flag > environment > context to each
// setting (see the package documentation); the current context is left
// out when the coordinator's address comes from the flag or the
// environment. It fails when --context or
// PINNSWEEP_CONTEXT names a context the file lacks, or when both
// PINNSWEEP_TOKEN and PINNSWEEP_TOKEN_FILE are set.
func Resolve(in Input) (Resolved, error) {
	env := func(k string) string {
		if in.Env == nil {
			return ""
		}
		v, _ := in.Env(k)
		return v
	}
	cfg := in.Config
	if cfg == nil {
		cfg = &Config{}
	}
	var ctx *Context
	if name, how := pickContext(in.ContextFlag, env(EnvContext), cfg.Current); name != "" {
		c, err := cfg.Get(name)
		if err != nil {
			return Resolved{}, fmt.Errorf("%s: %w", how, err)
		}
		ctx = c
		// The current context's credentials belong to its coordinator:
		// a command that names another one leaves it alone.
		implicit := how == howCurrent
		if implicit && (in.Given["coordinator"] || env(EnvCoordinator) != "") {
			ctx = nil
		}
	}
	r := Resolved{From: map[string]Source{}}
	if ctx != nil {
		r.Context = ctx.Name
	}
	for _, f := range Fields {
		dst := f.Ptr(&r.Settings)
		switch {
		case in.Given[f.Flag]:
			*dst, r.From[f.Flag] = *f.Ptr(&in.Flags), FromFlag
		case env(f.Env) != "":
			*dst, r.From[f.Flag] = env(f.Env), FromEnv
		case ctx != nil && *f.Ptr(&ctx.Settings) != "":
			*dst, r.From[f.Flag] = *f.Ptr(&ctx.Settings), fromContext(ctx.Name)
		}
	}
	// The token's extra source, $PINNSWEEP_TOKEN, ranks with the
	// environment.
	if _, set := lookup(in.Env, EnvToken); set && !in.Given["token-file"] {
		if env(EnvTokenFile) != "" {
			return Resolved{}, fmt.Errorf("both $%s and $%s are set: unset one", EnvToken, EnvTokenFile)
		}
		r.TokenFile, r.TokenEnv, r.From["token-file"] = "", true, FromEnv
	}
	return r, nil
}

// lookup is in.Env(k), false when there is no lookup function.
func lookup(f func(string) (string, bool), k string) (string, bool) {
	if f == nil {
		return "", false
	}
	return f(k)
}

// howCurrent says that the file's current-context chose the context.
const howCurrent = "current-context"

// pickContext returns the name of the context to apply and what chose it.
func pickContext(flag, env, current string) (name, how string) {
	switch {
	case flag != "":
		return flag, "--context"
	case env != "":
		return env, "$" + EnvContext
	}
	return current, howCurrent
}

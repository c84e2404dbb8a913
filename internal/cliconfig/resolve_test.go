package cliconfig

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestPrecedence covers every combination of the three sources (flag,
// environment, context) for the coordinator and the token file at once:
// 64 cases, each setting resolved on its own to the highest source present.
func TestPrecedence(t *testing.T) {
	type field struct {
		flag, env string
		get       func(*Settings) *string
	}
	fields := []field{
		{"coordinator", EnvCoordinator, func(s *Settings) *string { return &s.Coordinator }},
		{"token-file", EnvTokenFile, func(s *Settings) *string { return &s.TokenFile }},
	}
	sources := []Source{FromFlag, FromEnv, fromContext("prod")}
	n := 0
	for mask := 0; mask < 1<<(len(sources)*len(fields)); mask++ {
		// The context is chosen explicitly: the current context steps
		// aside for a given coordinator (TestCurrentContextStepsAside).
		in := Input{Given: map[string]bool{}, ContextFlag: "prod", Config: &Config{Current: "prod", Contexts: []Context{{Name: "prod"}}}}
		envs := map[string]string{}
		in.Env = func(k string) (string, bool) { v, ok := envs[k]; return v, ok }
		var want []string
		var desc []string
		for fi, f := range fields {
			winner := ""
			for si, src := range sources {
				if mask&(1<<(fi*len(sources)+si)) == 0 {
					continue
				}
				v := fmt.Sprintf("%s-from-%s", f.flag, strings.ReplaceAll(string(src), " ", "-"))
				desc = append(desc, f.flag+":"+string(src))
				switch src {
				case FromFlag:
					*f.get(&in.Flags) = v
					in.Given[f.flag] = true
				case FromEnv:
					envs[f.env] = v
				default:
					*f.get(&in.Config.Contexts[0].Settings) = v
				}
				if winner == "" {
					winner = v // sources are in precedence order
				}
			}
			want = append(want, winner)
		}
		r, err := Resolve(in)
		if err != nil {
			t.Fatalf("%v: %v", desc, err)
		}
		for fi, f := range fields {
			if got := *f.get(&r.Settings); got != want[fi] {
				t.Errorf("sources %v: %s = %q, want %q", desc, f.flag, got, want[fi])
			}
			if want[fi] != "" && !strings.HasPrefix(want[fi], f.flag+"-from-"+strings.ReplaceAll(string(r.From[f.flag]), " ", "-")) {
				t.Errorf("sources %v: %s from %q, want the source of %q", desc, f.flag, r.From[f.flag], want[fi])
			}
		}
		n++
	}
	if n != 64 {
		t.Fatalf("%d cases", n)
	}
}

// TestTokenSources places $PINNSWEEP_TOKEN among the token's sources.
func TestTokenSources(t *testing.T) {
	ctx := &Config{Current: "c", Contexts: []Context{{Name: "c", Settings: Settings{TokenFile: "/ctx.token"}}}}
	for _, tc := range []struct {
		name      string
		flag      string // --token-file, "-" for not given
		envFile   string
		envToken  *string
		wantFile  string
		wantEnv   bool
		wantError string
	}{
		{name: "context only", flag: "-", wantFile: "/ctx.token"},
		{name: "token env beats context", flag: "-", envToken: ptr("t"), wantEnv: true},
		{name: "empty token env still counts (and is refused when read)", flag: "-", envToken: ptr(""), wantEnv: true},
		{name: "flag beats token env", flag: "/flag.token", envToken: ptr("t"), wantFile: "/flag.token"},
		{name: "empty flag clears everything", flag: "", envToken: ptr("t"), wantFile: ""},
		{name: "token file env", flag: "-", envFile: "/env.token", wantFile: "/env.token"},
		{name: "both env variables", flag: "-", envFile: "/env.token", envToken: ptr("t"), wantError: "both $PINNSWEEP_TOKEN and $PINNSWEEP_TOKEN_FILE"},
		{name: "flag settles the conflict", flag: "/flag.token", envFile: "/env.token", envToken: ptr("t"), wantFile: "/flag.token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			if tc.envFile != "" {
				env[EnvTokenFile] = tc.envFile
			}
			if tc.envToken != nil {
				env[EnvToken] = *tc.envToken
			}
			in := Input{Config: ctx, Given: map[string]bool{}, Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
			if tc.flag != "-" {
				in.Flags.TokenFile, in.Given["token-file"] = tc.flag, true
			}
			r, err := Resolve(in)
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("err %v, want %q", err, tc.wantError)
				}
				return
			}
			if err != nil || r.TokenFile != tc.wantFile || r.TokenEnv != tc.wantEnv {
				t.Fatalf("file %q env %v err %v; want file %q env %v", r.TokenFile, r.TokenEnv, err, tc.wantFile, tc.wantEnv)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestContextChoice: --context beats $PINNSWEEP_CONTEXT beats the current
// context; a name the file lacks is an error naming what chose it.
func TestContextChoice(t *testing.T) {
	cfg := &Config{Current: "a", Contexts: []Context{
		{Name: "a", Settings: Settings{Coordinator: "a:1"}},
		{Name: "b", Settings: Settings{Coordinator: "b:1"}},
		{Name: "c", Settings: Settings{Coordinator: "c:1"}},
	}}
	for _, tc := range []struct {
		flag, env, want, err string
	}{
		{"", "", "a:1", ""},
		{"", "b", "b:1", ""},
		{"c", "b", "c:1", ""},
		{"nope", "", "", `--context: no such context "nope"`},
		{"", "nope", "", `$PINNSWEEP_CONTEXT: no such context "nope"`},
	} {
		r, err := Resolve(Input{Config: cfg, ContextFlag: tc.flag, Env: func(k string) (string, bool) {
			if k == EnvContext && tc.env != "" {
				return tc.env, true
			}
			return "", false
		}})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrNoContext) {
				t.Errorf("--context %q env %q: err %v, want %q", tc.flag, tc.env, err, tc.err)
			}
			continue
		}
		if err != nil || r.Coordinator != tc.want {
			t.Errorf("--context %q env %q: %q %v, want %q", tc.flag, tc.env, r.Coordinator, err, tc.want)
		}
	}
	// No file at all: nothing set, no error.
	if r, err := Resolve(Input{}); err != nil || r.Coordinator != "" || r.Context != "" {
		t.Errorf("no config: %+v %v", r, err)
	}
}

// TestCurrentContextStepsAside: the current context's settings do not
// apply to a command that names its coordinator by flag or environment;
// a context named explicitly does.
func TestCurrentContextStepsAside(t *testing.T) {
	cfg := &Config{Current: "prod", Contexts: []Context{{Name: "prod", Settings: Settings{
		Coordinator: "prod:7433", CA: "/prod/ca.pem", TokenFile: "/prod/token"}}}}
	for _, tc := range []struct {
		name    string
		flags   Settings
		given   []string
		env     map[string]string
		ctxFlag string
		want    Settings
		context string
	}{
		{name: "nothing given: the current context", want: cfg.Contexts[0].Settings, context: "prod"},
		{name: "a token file given: still the current context", flags: Settings{TokenFile: "/t"}, given: []string{"token-file"},
			want: Settings{Coordinator: "prod:7433", CA: "/prod/ca.pem", TokenFile: "/t"}, context: "prod"},
		{name: "--coordinator: no context", flags: Settings{Coordinator: "lab:1"}, given: []string{"coordinator"},
			want: Settings{Coordinator: "lab:1"}},
		{name: "$PINNSWEEP_COORDINATOR: no context", env: map[string]string{EnvCoordinator: "lab:1", EnvTokenFile: "/env"},
			want: Settings{Coordinator: "lab:1", TokenFile: "/env"}},
		{name: "--coordinator with --context: the context below it", flags: Settings{Coordinator: "lab:1"}, given: []string{"coordinator"},
			ctxFlag: "prod", want: Settings{Coordinator: "lab:1", CA: "/prod/ca.pem", TokenFile: "/prod/token"}, context: "prod"},
		{name: "$PINNSWEEP_CONTEXT too", env: map[string]string{EnvCoordinator: "lab:1", EnvContext: "prod"},
			want: Settings{Coordinator: "lab:1", CA: "/prod/ca.pem", TokenFile: "/prod/token"}, context: "prod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			given := map[string]bool{}
			for _, g := range tc.given {
				given[g] = true
			}
			r, err := Resolve(Input{Flags: tc.flags, Given: given, ContextFlag: tc.ctxFlag, Config: cfg,
				Env: func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }})
			if err != nil || r.Settings != tc.want || r.Context != tc.context {
				t.Fatalf("%+v (context %q) %v, want %+v (context %q)", r.Settings, r.Context, err, tc.want, tc.context)
			}
		})
	}
}

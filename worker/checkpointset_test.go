package worker

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestRemoveCheckpoints: removeCheckpoints removes exactly the set a
// CheckpointSet describes, a name prefix in a directory or a whole
// directory, and then the directory that held it only if that left it
// empty; it removes symbolic links without following them, leaves a
// non-empty directory that matches a prefix, and refuses a whole Dir that
// names no directory of its own.
//
// Trees are written as paths below a temporary root: "d/" is a directory,
// "l -> t" a symbolic link to t, anything else a file. In a set's Dir,
// ROOT stands for the root; a relative Dir is taken from chdir.
func TestRemoveCheckpoints(t *testing.T) {
	for _, tc := range []struct {
		name     string
		tree     []string
		chdir    string
		set      CheckpointSet
		want     []string // what is left below the root
		wantWarn string   // a warning the log must have; "": no warning
	}{{
		name: "zero set removes nothing",
		tree: []string{"s/k.1.ckpt"},
		want: []string{"s/", "s/k.1.ckpt"},
	}, {
		name: "prefix: every attempt and temporary file of the trial, no other trial's",
		tree: []string{"s/k.1.ckpt", "s/k.2.ckpt", "s/.k.2.ckpt123", "s/kk.1.ckpt", "s/x.k.1.ckpt", "s/.kk.1.ckpt9", "s/other.1.ckpt"},
		set:  CheckpointSet{Dir: "ROOT/s", Prefix: "k."},
		want: []string{"s/", "s/.kk.1.ckpt9", "s/kk.1.ckpt", "s/other.1.ckpt", "s/x.k.1.ckpt"},
	}, {
		name: "prefix: the directory goes when left empty, not its parent",
		tree: []string{"s/k.1.ckpt", "s/.k.1.ckpt77", "t/k.1.ckpt"},
		set:  CheckpointSet{Dir: "ROOT/s", Prefix: "k."},
		want: []string{"t/", "t/k.1.ckpt"},
	}, {
		name: "prefix: links are removed, not followed",
		tree: []string{"outside/f", "outside/g", "s/k.1.ckpt -> ../outside/f", "s/k.dir -> ../outside"},
		set:  CheckpointSet{Dir: "ROOT/s", Prefix: "k."},
		want: []string{"outside/", "outside/f", "outside/g"},
	}, {
		name:     "prefix: a matching directory is not emptied",
		tree:     []string{"s/k.sub/inner", "s/k.1.ckpt"},
		set:      CheckpointSet{Dir: "ROOT/s", Prefix: "k."},
		want:     []string{"s/", "s/k.sub/", "s/k.sub/inner"},
		wantWarn: "cannot remove a finished trial's checkpoints",
	}, {
		name: "prefix: a missing directory is no error",
		tree: []string{"s/k.1.ckpt"},
		set:  CheckpointSet{Dir: "ROOT/none", Prefix: "k."},
		want: []string{"s/", "s/k.1.ckpt"},
	}, {
		name: "whole: the trial's directory and all below it, no other trial's",
		tree: []string{"s/k/state.json", "s/k/sub/deep", "s/k2/state.json", "s/other/state.json"},
		set:  CheckpointSet{Dir: "ROOT/s/k"},
		want: []string{"s/", "s/k2/", "s/k2/state.json", "s/other/", "s/other/state.json"},
	}, {
		name: "whole: the parent goes when left empty, not its own parent",
		tree: []string{"s/k/state.json", "t/k/state.json"},
		set:  CheckpointSet{Dir: "ROOT/s/k"},
		want: []string{"t/", "t/k/", "t/k/state.json"},
	}, {
		name: "whole: links inside are removed, not followed",
		tree: []string{"outside/f", "s/k/f -> ../../outside/f", "s/k/d -> ../../outside"},
		set:  CheckpointSet{Dir: "ROOT/s/k"},
		want: []string{"outside/", "outside/f"},
	}, {
		name: "whole: a Dir that is a link is removed, not followed",
		tree: []string{"outside/f", "s/k -> ../outside"},
		set:  CheckpointSet{Dir: "ROOT/s/k"},
		want: []string{"outside/", "outside/f"},
	}, {
		name: "whole: a missing directory is no error",
		tree: []string{"s/k/state.json"},
		set:  CheckpointSet{Dir: "ROOT/s/none"},
		want: []string{"s/", "s/k/", "s/k/state.json"},
	}, {
		name:     "whole: . is refused",
		tree:     []string{"s/k/state.json"},
		chdir:    "s/k",
		set:      CheckpointSet{Dir: "."},
		want:     []string{"s/", "s/k/", "s/k/state.json"},
		wantWarn: "refusing to remove",
	}, {
		name:     "whole: .. is refused",
		tree:     []string{"s/k/state.json"},
		chdir:    "s/k",
		set:      CheckpointSet{Dir: ".."},
		want:     []string{"s/", "s/k/", "s/k/state.json"},
		wantWarn: "refusing to remove",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			makeTree(t, root, tc.tree)
			if tc.chdir != "" {
				t.Chdir(filepath.Join(root, tc.chdir))
			}
			set := tc.set
			set.Dir = strings.Replace(set.Dir, "ROOT", root, 1)
			var logs logBuffer
			removeCheckpoints(hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Debug}), set)

			if got := listTree(t, root); !slices.Equal(got, tc.want) {
				t.Errorf("left %q, want %q", got, tc.want)
			}
			text := logs.String()
			switch {
			case tc.wantWarn == "" && strings.Contains(text, "[WARN]"):
				t.Errorf("unexpected warning:\n%s", text)
			case tc.wantWarn != "" && !strings.Contains(text, tc.wantWarn):
				t.Errorf("no warning %q:\n%s", tc.wantWarn, text)
			}
		})
	}
}

// makeTree creates the entries below root, in the notation of
// TestRemoveCheckpoints.
func makeTree(t *testing.T, root string, entries []string) {
	t.Helper()
	for _, e := range entries {
		name, target, isLink := strings.Cut(e, " -> ")
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case isLink:
			err = os.Symlink(filepath.FromSlash(target), path)
		case strings.HasSuffix(name, "/"):
			err = os.MkdirAll(path, 0o755)
		default:
			err = os.WriteFile(path, []byte(name), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// listTree returns what is below root, sorted, without following links:
// directories end in "/".
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

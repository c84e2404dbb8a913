package main

import (
	"os"
	"strings"
	"testing"
)

func TestParseProcStatus(t *testing.T) {
	tests := []struct {
		name, text string
		want       memory
		wantErr    bool
	}{
		{"fields", "Name:\tpinnsweep\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nRssAnon:\t   81920 kB\nRssFile:\t   20480 kB\n",
			memory{RSS: 100 << 20, HWM: 200 << 20, Anon: 80 << 20, File: 20 << 20}, false},
		{"absent", "Name:\tkthreadd\nState:\tS (sleeping)\n", memory{}, false},
		{"garbage", "VmRSS:\tlots kB\n", memory{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStatus(strings.NewReader(tt.text))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestProcMemory reads this process's own status file.
func TestProcMemory(t *testing.T) {
	m, err := procMemory(os.Getpid())
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS || m.Anon+m.File > m.RSS+(1<<20) {
		t.Fatalf("implausible memory %+v", m)
	}
}

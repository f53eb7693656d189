package main

import (
	"runtime/debug"
	"testing"
)

func TestCollectorOffForSmallInput(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	noEnv := func(string) string { return "" }

	inputRead := collectorOffForSmallInput(noEnv)
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("collector at start: GOGC %d, want off", got)
	}
	if got := debug.SetMemoryLimit(-1); got != memoryNet {
		t.Fatalf("memory limit at start: %d, want the net %d", got, memoryNet)
	}
	inputRead(smallInput) // a chart render: stays off
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("after a small input: GOGC %d, want off", got)
	}
	inputRead(smallInput + 1)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("after a large input: GOGC %d, want Go's default 100 back", got)
	}
	if got := debug.SetMemoryLimit(-1); got == memoryNet {
		t.Fatal("after a large input the memory net must be gone (Go's default: no limit)")
	}

	debug.SetGCPercent(100)
	userSet := func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	}
	if collectorOffForSmallInput(userSet) != nil || debug.SetGCPercent(100) != 100 {
		t.Fatal("with GOGC set by the user the collector setting must be left alone")
	}
}

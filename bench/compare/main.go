// Command compare times whole commands side by side: each run reads the same input file on stdin and writes to
// /dev/null; the commands take turns (A B C A B C ...) after one warm-up round, so drift on a shared machine hits
// them alike. It prints the machine, then per command the median, min and max wall time and peak memory, and the
// ratio of each command's median to the first one's.
//
//	compare -n 5 -input big.yaml -- netbox-sso './bin/netbox-sso --config sso.yaml' floor './bin/floor'
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"
)

type command struct {
	name string
	argv []string
	wall []time.Duration
	cpu  []time.Duration // user + system
	rss  []int64         // KiB
}

func main() {
	runs := flag.Int("n", 5, "counted runs per command")
	input := flag.String("input", "", "file given to each run on stdin (default: none)")
	dir := flag.String("dir", "", "working directory of the commands")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 || len(args)%2 != 0 {
		fmt.Fprintln(os.Stderr, "usage: compare [-n RUNS] [-input FILE] [-dir DIR] -- NAME 'COMMAND' [NAME 'COMMAND' ...]")
		os.Exit(2)
	}
	var cmds []*command
	for i := 0; i < len(args); i += 2 {
		cmds = append(cmds, &command{name: args[i], argv: strings.Fields(args[i+1])})
	}
	for round := 0; round <= *runs; round++ {
		for _, c := range cmds {
			wall, cpu, rss, err := runOnce(c.argv, *input, *dir)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", c.name, err)
				os.Exit(1)
			}
			if round > 0 { // round 0 warms caches
				c.wall = append(c.wall, wall)
				c.cpu = append(c.cpu, cpu)
				c.rss = append(c.rss, rss)
			}
		}
	}
	fmt.Printf("machine: %s, %d cores, %s; load %s; %d runs each\n", cpuModel(), runtime.NumCPU(), runtime.Version(), loadAvg(), *runs)
	if *input != "" {
		if st, err := os.Stat(*input); err == nil {
			fmt.Printf("input: %s (%.1f MB)\n", *input, float64(st.Size())/1e6)
		}
	}
	fmt.Printf("%-22s %10s %10s %10s %10s %10s %8s %8s\n", "command", "wall med", "min", "max", "cpu med", "peak MiB", "time ×", "mem ×")
	baseWall, baseRSS := median(cmds[0].wall), medianInt(cmds[0].rss)
	for _, c := range cmds {
		w, m := median(c.wall), medianInt(c.rss)
		fmt.Printf("%-22s %10s %10s %10s %10s %10.1f %8.2f %8.2f\n", c.name, round(w), round(minD(c.wall)), round(maxD(c.wall)), round(median(c.cpu)),
			float64(m)/1024, float64(w)/float64(baseWall), float64(m)/float64(baseRSS))
	}
}

func runOnce(argv []string, input, dir string) (wall, cpu time.Duration, rss int64, err error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	if input != "" {
		f, err := os.Open(input)
		if err != nil {
			return 0, 0, 0, err
		}
		defer f.Close()
		cmd.Stdin = f
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, 0, 0, err
	}
	defer devnull.Close()
	cmd.Stdout, cmd.Stderr = devnull, devnull
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		err = nil // an exit code is part of what is timed (for example an error path); only a failed start is fatal
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return wall, cpu, ru.Maxrss, nil
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func medianInt(v []int64) int64 {
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func minD(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = min(m, x)
	}
	return m
}

func maxD(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = max(m, x)
	}
	return m
}

func round(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			return strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
		}
	}
	return runtime.GOARCH
}

func loadAvg() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Package similar finds the name a user probably meant: the known name closest to a mistyped one.
package similar

import "strings"

// Distance is the Levenshtein distance of a and b in bytes: the fewest single-byte insertions, deletions and
// substitutions that turn a into b.
func Distance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Closest is the name of known that s most probably means: one equal to s ignoring case, else the one at the
// smallest Distance if that is at most maxDistance (the first of equals, in known's order). ok is false when no
// name is that close, or when s is itself in known.
func Closest(s string, known []string, maxDistance int) (name string, ok bool) {
	best := maxDistance + 1
	for _, k := range known {
		if k == s {
			return "", false
		}
		if strings.EqualFold(k, s) {
			name, best = k, -1
			continue
		}
		if d := Distance(s, k); d < best {
			name, best = k, d
		}
	}
	return name, best <= maxDistance
}

// Package args reads the counts the Go references take as arguments.
package args

import (
	"fmt"
	"os"
	"strconv"
)

// Count is argument i as a count above 0, def if there is none; otherwise
// it prints usage and exits 2.
func Count(i int, def int, usage string) int {
	if len(os.Args) <= i {
		return def
	}
	n, err := strconv.Atoi(os.Args[i])
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	return n
}

// spawn_alive with goroutines: the reference for bench/spawn_alive.c.
// ROUNDS rounds of BATCH goroutines that each wait on the round's channel
// until it is closed; a WaitGroup joins them. The first round warms up.
//
// Usage: go run ./spawn_alive [ROUNDS [BATCH]]   (from bench/go)
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

func count(i int, def int) int {
	if len(os.Args) <= i {
		return def
	}
	n, err := strconv.Atoi(os.Args[i])
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "spawn_alive: counts must be above 0")
		os.Exit(2)
	}
	return n
}

func main() {
	rounds, batch := count(1, 50), count(2, 1000)
	var create, round time.Duration
	for r := 0; r <= rounds; r++ {
		var started, done sync.WaitGroup
		release := make(chan struct{})
		t0 := time.Now()
		for i := 0; i < batch; i++ {
			started.Add(1)
			done.Add(1)
			go func() {
				started.Done()
				<-release
				done.Done()
			}()
		}
		t1 := time.Now()
		started.Wait()
		close(release)
		done.Wait()
		if r > 0 {
			create += t1.Sub(t0)
			round += time.Since(t0)
		}
	}
	n := float64(rounds * batch)
	fmt.Printf("metric create_alive %.1f ns/op\n", float64(create.Nanoseconds())/n)
	fmt.Printf("metric create_alive_round %.1f ns/op\n", float64(round.Nanoseconds())/n)
}

// spawn_alive with goroutines: the reference for bench/spawn_alive.c.
// ROUNDS rounds of BATCH goroutines that each wait on a sync.Cond until
// the round is released, as the C threads do on a condvar; a WaitGroup
// stands for the joins. The first round warms up.
//
// Usage: go run ./spawn_alive [ROUNDS [BATCH]]   (from bench/go)
package main

import (
	"fmt"
	"sync"
	"time"

	"echo_server/args"
)

func main() {
	const usage = "spawn_alive: counts must be above 0"
	rounds, batch := args.Count(1, 50, usage), args.Count(2, 1000, usage)
	var create, round time.Duration
	var mu sync.Mutex
	wake, allWaiting := sync.NewCond(&mu), sync.NewCond(&mu)
	waiting, roundNo := 0, 0
	for r := 0; r <= rounds; r++ {
		var done sync.WaitGroup
		t0 := time.Now()
		for i := 0; i < batch; i++ {
			done.Add(1)
			go func(r int) { // the C waiter(), with a WaitGroup for join
				mu.Lock()
				waiting++
				allWaiting.Signal()
				for roundNo == r {
					wake.Wait()
				}
				mu.Unlock()
				done.Done()
			}(r)
		}
		t1 := time.Now()
		mu.Lock()
		for waiting < batch {
			allWaiting.Wait()
		}
		waiting = 0
		roundNo++
		wake.Broadcast()
		mu.Unlock()
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

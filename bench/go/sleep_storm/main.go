// sleep_storm with goroutines: the reference for bench/sleep_storm.c.
// THREADS goroutines each sleep NAPS times for 1 ms (time.Sleep), started
// together (a closed channel stands for the barrier); the wall time from
// the start to the last one's end is compared with the ideal, NAPS ms.
//
// Usage: go run ./sleep_storm [THREADS [NAPS]]   (from bench/go)
package main

import (
	"fmt"
	"sync"
	"time"

	"echo_server/args"
)

func main() {
	const usage = "usage: sleep_storm [THREADS [NAPS]]"
	threads, naps := args.Count(1, 10000, usage), args.Count(2, 100, usage)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for i := 0; i < threads; i++ {
		ready.Add(1)
		done.Add(1)
		go func() {
			ready.Done()
			<-start
			for j := 0; j < naps; j++ {
				time.Sleep(time.Millisecond)
			}
			done.Done()
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	wall := float64(time.Since(t0).Nanoseconds()) / 1e6
	fmt.Printf("metric sleep_storm_wall %.1f ms\n", wall)
	fmt.Printf("metric sleep_storm_ideal %d ms\n", naps)
	fmt.Printf("metric sleep_storm_over_ideal %.3f x\n", wall/float64(naps))
}

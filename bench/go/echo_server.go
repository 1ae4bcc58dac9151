// echo_server.go - the goroutine-per-connection counterpart of
// bench/echo_server.c, as the reference a green-thread runtime is measured
// against. Same protocol: listens on 127.0.0.1 on a port the kernel picks,
// writes the port to PORTFILE (through PORTFILE.tmp and a rename), echoes
// every connection until EOF (Go sets TCP_NODELAY itself), and exits with
// status 0 on EOF on stdin. Built by bench/vs-go.sh with CGO_ENABLED=0, so
// the binary is static and LD_PRELOAD never reaches it.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func echo(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	c.Close()
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: echo_server PORTFILE")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo_server:", err)
		os.Exit(1)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				fmt.Fprintln(os.Stderr, "echo_server: accept:", err)
				os.Exit(1)
			}
			go echo(c)
		}
	}()
	tmp := os.Args[1] + ".tmp"
	port := ln.Addr().(*net.TCPAddr).Port
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d\n", port)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "echo_server:", err)
		os.Exit(1)
	}
	if err := os.Rename(tmp, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "echo_server:", err)
		os.Exit(1)
	}
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// Command accord generates resilient Go clients and servers from API
// contracts and blocks backward-incompatible contract changes in CI.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

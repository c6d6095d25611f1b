//go:build !linux

package contracts

// Elsewhere compat reads contracts as every command does (see the Linux
// mapContract).
func mapContract(string, LoadOptions) (*sourceFile, bool) { return nil, false }

func releasePages([]byte) {}

func unmapContract([]byte) {}

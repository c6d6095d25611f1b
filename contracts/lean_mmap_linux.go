//go:build linux

package contracts

import (
	"os"
	"path/filepath"
	"syscall"
)

// mapMin is the size from which compat maps a contract instead of reading
// it: below it the copy costs less than the mapping.
const mapMin = 1 << 20

// mapContract maps a large contract file read-only, for LoadForCompare.
// Its bytes then live in the page cache, where reading the file put them
// anyway, instead of a second copy on the heap: compat's peak memory on
// GitHub's 11 + 13 MB contracts was a third those copies (and the GC's
// headroom over them). Pages the decoder has passed are released as it
// goes (releasePages); positions fault back in the few a finding needs.
// Only a plain path to a regular file is mapped, resolved as readSource
// resolves it (a path that exists is never REV:path); everything else, and
// any failure, is left to readSource.
func mapContract(arg string, opts LoadOptions) (*sourceFile, bool) {
	if arg == "" || arg == "-" {
		return nil, false
	}
	dir := opts.Dir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, false
		}
		dir = wd
	}
	full := arg
	if !filepath.IsAbs(full) {
		full = filepath.Join(dir, full)
	}
	f, err := os.Open(full)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() < mapMin || st.Size() > maxContractBytes {
		return nil, false
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, false
	}
	return &sourceFile{name: arg, key: full, data: data}, true
}

// releasePages drops mapped pages from the process (they stay in the page
// cache; touching them again reads them back). b starts page-aligned.
func releasePages(b []byte) {
	if len(b) > 0 {
		_ = syscall.Madvise(b, syscall.MADV_DONTNEED) // advice: failing only keeps the pages
	}
}

func unmapContract(b []byte) { _ = syscall.Munmap(b) }

package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FileSwitchesOptions configures NewFileSwitches. Zero values take the
// defaults in brackets.
type FileSwitchesOptions struct {
	// Path is a switch file (e.g. a mounted ConfigMap); "" reads none. A
	// missing file means every switch is on, so deleting it undoes them.
	Path string
	// EnvPrefix names the environment variables read besides the file:
	// <prefix>OFF (operation ids, comma or space separated) and
	// <prefix>RETRIES ("on"/"off") ["ACCORD_"]. "-" reads none.
	EnvPrefix string
	// CheckEvery is how often the file and environment are read again:
	// at most once per interval, on the first call after it [1s].
	CheckEvery time.Duration
	Getenv     func(string) string // [os.Getenv]
	Now        func() time.Time    // [time.Now]
	// OnError sees a switch file that could not be read or parsed; the
	// switches keep their last good setting meanwhile.
	OnError func(error)
}

// FileSwitches reads kill switches from a file and the environment, so an
// operator switches an operation off by editing a file (or restarting with
// a variable set), without a deploy. The file holds lines
//
//	# comment
//	off: createPayment, refundPayment
//	retries: off
//
// where "off" lists operations switched off (the key may repeat) and
// "retries: off" stops every retry. An operation is off when the file or
// the environment says so: switches only ever add caution.
type FileSwitches struct {
	opt  FileSwitchesOptions
	next atomic.Int64 // unix nanos of the next re-read
	mu   sync.Mutex   // one reader at a time
	raw  []byte       // the last file and environment read, to skip unchanged ones
	mem  MemorySwitches
}

// NewFileSwitches reads the switches once; an unreadable or malformed file
// is an error here (at start-up an operator is watching), and only reported
// to OnError on later reads.
func NewFileSwitches(opt FileSwitchesOptions) (*FileSwitches, error) {
	if opt.EnvPrefix == "" {
		opt.EnvPrefix = "ACCORD_"
	}
	if opt.CheckEvery <= 0 {
		opt.CheckEvery = time.Second
	}
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	f := &FileSwitches{opt: opt}
	if err := f.reload(); err != nil {
		return nil, err
	}
	f.next.Store(opt.Now().Add(opt.CheckEvery).UnixNano())
	return f, nil
}

func (f *FileSwitches) Enabled(operationID string) bool {
	f.maybeReload()
	return f.mem.Enabled(operationID)
}

func (f *FileSwitches) RetriesEnabled() bool {
	f.maybeReload()
	return f.mem.RetriesEnabled()
}

// Disabled lists the operations switched off, for status pages.
func (f *FileSwitches) Disabled() []string {
	f.maybeReload()
	return f.mem.Disabled()
}

// maybeReload re-reads on the first call after the interval; the CAS
// elects one caller, the others go on with the current setting.
func (f *FileSwitches) maybeReload() {
	now := f.opt.Now().UnixNano()
	due := f.next.Load()
	if now < due || !f.next.CompareAndSwap(due, now+int64(f.opt.CheckEvery)) {
		return
	}
	if err := f.reload(); err != nil && f.opt.OnError != nil {
		f.opt.OnError(err)
	}
}

func (f *FileSwitches) reload() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var raw []byte
	if f.opt.Path != "" {
		b, err := os.ReadFile(f.opt.Path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("kill switches: read %s: %w", f.opt.Path, err)
		}
		raw = b
	}
	var env string
	if f.opt.EnvPrefix != "-" {
		if v := f.opt.Getenv(f.opt.EnvPrefix + "OFF"); v != "" {
			env += "off: " + v + "\n"
		}
		if v := f.opt.Getenv(f.opt.EnvPrefix + "RETRIES"); v != "" {
			env += "retries: " + v + "\n"
		}
	}
	all := append(append(raw[:len(raw):len(raw)], '\n'), env...)
	if f.raw != nil && bytes.Equal(all, f.raw) {
		return nil
	}
	st, err := rtParseSwitches(raw, f.opt.Path)
	if err != nil {
		return err
	}
	est, err := rtParseSwitches([]byte(env), "environment "+f.opt.EnvPrefix+"*")
	if err != nil {
		return err
	}
	for id := range est.off {
		st.off[id] = true
	}
	st.noRetries = st.noRetries || est.noRetries
	f.mem.mu.Lock()
	f.mem.state.Store(st)
	f.mem.mu.Unlock()
	f.raw = all
	return nil
}

// rtParseSwitches reads the switch file format; errors name the line.
func rtParseSwitches(b []byte, name string) (*rtSwitchState, error) {
	st := &rtSwitchState{off: map[string]bool{}}
	for i, line := range strings.Split(string(b), "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("kill switches: %s:%d: want \"off: <operation ids>\" or \"retries: on|off\", not %q", name, i+1, line)
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "off":
			for _, id := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
				st.off[id] = true
			}
		case "retries":
			switch strings.ToLower(val) {
			case "off", "false", "0":
				st.noRetries = true
			case "on", "true", "1":
			default:
				return nil, fmt.Errorf("kill switches: %s:%d: retries must be on or off, not %q", name, i+1, val)
			}
		default:
			return nil, fmt.Errorf("kill switches: %s:%d: unknown key %q (known: off, retries)", name, i+1, strings.TrimSpace(key))
		}
	}
	return st, nil
}

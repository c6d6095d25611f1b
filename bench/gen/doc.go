// Package gen pins the peers of scripts/bench-gen.sh: the oapi-codegen
// command and ogen v1.24.0, run as tools of this module (go tool), and the
// runtime modules their output imports. accord's own go.mod requires none
// of them but oapi-codegen, which it uses as a library. The benchmark's
// generated packages live in temporary modules that copy these
// requirements, so every run builds against the same versions.
package gen

import (
	_ "github.com/google/uuid"
	_ "github.com/oapi-codegen/runtime"
	_ "github.com/oapi-codegen/runtime/types"
)

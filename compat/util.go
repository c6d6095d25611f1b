package compat

import (
	"cmp"
	"slices"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

// sortedKeys returns a map's keys in order, for deterministic walks.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

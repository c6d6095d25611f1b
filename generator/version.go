// Package generator turns a contract into Go source files.
package generator

// Version is accord's version. Generated files carry it in their header, so
// it changes only with a release: output stays byte-for-byte reproducible.
const Version = "0.1.0"

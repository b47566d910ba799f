// Package tartan is the root of Tartan, a data-availability layer
// byte-compatible with Celestia's formats. The code lives in the packages
// below; this package holds only the test that keeps their imports pointing
// down (shared/DESIGN.md §4).
package tartan

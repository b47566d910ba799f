// Package tartan is the root of Tartan, a data-availability layer
// byte-compatible with Celestia's formats. The code lives in the packages
// below; this package holds only repository-wide tests: that their imports
// point down (shared/DESIGN.md §4), and that CI runs the README's test
// command, uncached.
package tartan

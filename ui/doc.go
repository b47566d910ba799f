// Package ui is the web dashboard every node serves at /ui/ (API.md §4):
// a static page, a script and a style sheet embedded in the binary, which
// read the node's public REST API and its one event stream. It imports
// only the standard library; api mounts its Handler.
package ui

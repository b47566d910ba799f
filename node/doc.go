// Package node runs Tartan's roles (validator, full, light): their run
// loops, storage and wiring of every package below it. It is the only
// package that touches storage, and it owns every long-lived goroutine.
package node

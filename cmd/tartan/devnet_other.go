//go:build !linux

package main

import "syscall"

// childSysProcAttr: elsewhere the nodes share the devnet's process group;
// the devnet still stops them itself.
func childSysProcAttr() *syscall.SysProcAttr { return nil }

package main

import "syscall"

// childSysProcAttr puts a devnet node in its own process group, so a
// terminal's Ctrl-C reaches only the devnet, which stops the nodes in
// order; and has the kernel stop it if the devnet dies without doing so.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

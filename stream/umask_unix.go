//go:build unix

package stream

import (
	"io/fs"
	"syscall"
)

// umask is the process's file-creation mask, read once at start-up (reading
// it means setting it, so it is restored at once, before other goroutines run).
var umask = func() fs.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return fs.FileMode(m)
}()

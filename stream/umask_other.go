//go:build !unix

package stream

import "io/fs"

var umask fs.FileMode = 0o022

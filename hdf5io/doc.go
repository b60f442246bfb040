// Package hdf5io owns spca's HDF5 input and output: reading a 2-D numeric
// dataset as row blocks by hyperslab (chunk.Reader, converted to float64 by
// libhdf5), listing a file's datasets, and writing models and scores — small
// float64 datasets with root attributes (Writer, read back by File) and
// extendible, chunked row-appended matrices (MatrixWriter). It knows nothing
// about PCA.
//
// libhdf5 is reached through a small cgo shim (shim.c, linked with
// `pkg-config hdf5`). Every libhdf5 call runs with one package-level mutex
// held, on a locked OS thread, with HDF5's automatic error printing turned
// off, so readers and writers may live on different goroutines and stderr
// stays clean. No cgo types appear in the API. Errors name the file, the
// dataset and the operation, and carry libhdf5's own outermost and innermost
// messages; input errors are *chunk.Error.
//
// Strings written by Writer.SetAttrString are variable-length UTF-8, which
// h5py 3 returns as str.
package hdf5io

// C helpers for package hdf5io. Every function is called with the package
// mutex held and on a locked OS thread; on failure it returns a negative
// value (or NULL) and leaves a description in spca_last_error().
#ifndef SPCA_HDF5IO_SHIM_H
#define SPCA_HDF5IO_SHIM_H

#include <stddef.h>
#include <hdf5.h>

#define SPCA_MAX_RANK 32
#define SPCA_MAX_FILTERS 16

typedef struct {
	int rank;
	hsize_t dims[SPCA_MAX_RANK];
	int cls;          // H5T_class_t
	size_t size;      // element size in bytes
	int is_signed;    // integers
	int big_endian;   // integers and floats
	int vlen_str;     // strings
	int chunked;
	int chunk_rank;
	hsize_t chunk[SPCA_MAX_RANK];
	int nfilters;
	int filter_id[SPCA_MAX_FILTERS];
	int filter_avail[SPCA_MAX_FILTERS];
	char filter_name[SPCA_MAX_FILTERS][64];
} spca_dinfo;

enum { SPCA_CLS_INTEGER = H5T_INTEGER, SPCA_CLS_FLOAT = H5T_FLOAT, SPCA_CLS_STRING = H5T_STRING,
       SPCA_CLS_BITFIELD = H5T_BITFIELD, SPCA_CLS_OPAQUE = H5T_OPAQUE, SPCA_CLS_COMPOUND = H5T_COMPOUND,
       SPCA_CLS_REFERENCE = H5T_REFERENCE, SPCA_CLS_ENUM = H5T_ENUM, SPCA_CLS_VLEN = H5T_VLEN,
       SPCA_CLS_ARRAY = H5T_ARRAY, SPCA_CLS_TIME = H5T_TIME };

void spca_enter(void);
const char *spca_last_error(void);

hid_t spca_fopen(const char *path);
hid_t spca_fcreate(const char *path);
int spca_fclose(hid_t f);

char *spca_list(hid_t f, size_t *len);
hid_t spca_dopen(hid_t f, const char *path, size_t cache_bytes, size_t cache_slots);
int spca_dclose(hid_t d);
int spca_dinfo_of(hid_t d, spca_dinfo *out);
int spca_read_rows(hid_t d, hsize_t row0, hsize_t nrows, hsize_t cols, double *dst);
int spca_read_cols(hid_t d, hsize_t nrows, hsize_t col0, hsize_t ncols, double *dst);
int spca_read_all(hid_t d, double *dst);
int spca_exists(hid_t f, const char *path);

int spca_write(hid_t f, const char *name, int rank, const hsize_t *dims, const double *data);
hid_t spca_matrix_create(hid_t f, const char *name, hsize_t cols, hsize_t chunk_rows, hsize_t chunk_cols,
                         size_t cache_bytes, size_t cache_slots, int dtype, int deflate, int shuffle);
int spca_matrix_append(hid_t d, hsize_t row0, hsize_t nrows, hsize_t cols, const double *data);

int spca_dcache(hid_t d, size_t *nbytes, size_t *nslots);

int spca_attr_exists(hid_t f, const char *name);
int spca_attr_info(hid_t f, const char *name, int *cls, long long *npoints);
int spca_attr_write_int(hid_t f, const char *name, long long v);
int spca_attr_write_double(hid_t f, const char *name, double v);
int spca_attr_write_string(hid_t f, const char *name, const char *v);
int spca_attr_read_int(hid_t f, const char *name, long long *v);
int spca_attr_read_double(hid_t f, const char *name, double *v);
char *spca_attr_read_string(hid_t f, const char *name);

#endif

#include "shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Only touched with the package mutex held, so one buffer is enough.
static char last_err[1024];

const char *spca_last_error(void) { return last_err; }

// spca_enter silences the automatic error printing for the calling thread
// (the Debian build is thread-safe, where that setting is per thread) and
// starts with an empty error stack.
void spca_enter(void) {
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	H5Eclear2(H5E_DEFAULT);
	last_err[0] = 0;
}

typedef struct {
	char inner[400];
	char outer[400];
	int count;
} errwalk;

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
	errwalk *w = data;
	const char *d = e->desc ? e->desc : "";
	if (n == 0)
		snprintf(w->inner, sizeof w->inner, "%s", d);
	snprintf(w->outer, sizeof w->outer, "%s", d);
	w->count++;
	return 0;
}

// fail records op and the error stack (outermost and innermost messages);
// it must run before any cleanup call, which would clear the stack.
static void fail(const char *op) {
	errwalk w;
	memset(&w, 0, sizeof w);
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &w);
	if (w.count == 0)
		snprintf(last_err, sizeof last_err, "%s failed", op);
	else if (w.count == 1 || strcmp(w.inner, w.outer) == 0)
		snprintf(last_err, sizeof last_err, "%s: %s", op, w.inner);
	else
		snprintf(last_err, sizeof last_err, "%s: %s: %s", op, w.outer, w.inner);
	H5Eclear2(H5E_DEFAULT);
}

hid_t spca_fopen(const char *path) {
	hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (f < 0)
		fail("H5Fopen");
	return f;
}

hid_t spca_fcreate(const char *path) {
	hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	if (f < 0)
		fail("H5Fcreate");
	return f;
}

int spca_fclose(hid_t f) {
	if (H5Fclose(f) < 0) {
		fail("H5Fclose");
		return -1;
	}
	return 0;
}

typedef struct {
	char *buf;
	size_t len, cap;
} namebuf;

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
	namebuf *nb = data;
	if (info->type != H5L_TYPE_HARD) // soft links would list one dataset twice; external ones leave the file
		return 0;
	hid_t o = H5Oopen(g, name, H5P_DEFAULT);
	if (o < 0) {
		H5Eclear2(H5E_DEFAULT);
		return 0;
	}
	H5I_type_t t = H5Iget_type(o);
	H5Oclose(o);
	if (t != H5I_DATASET)
		return 0;
	size_t n = strlen(name) + 1;
	if (nb->len + n > nb->cap) {
		size_t cap = nb->cap ? 2 * nb->cap : 256;
		while (cap < nb->len + n)
			cap *= 2;
		char *p = realloc(nb->buf, cap);
		if (p == NULL)
			return -1;
		nb->buf = p;
		nb->cap = cap;
	}
	memcpy(nb->buf + nb->len, name, n);
	nb->len += n;
	return 0;
}

// spca_list returns the NUL-separated paths (relative to the root) of every
// dataset reachable by hard links, in a malloc'd buffer of *len bytes.
char *spca_list(hid_t f, size_t *len) {
	namebuf nb = {0};
	if (H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, list_cb, &nb) < 0) {
		fail("H5Lvisit");
		free(nb.buf);
		return NULL;
	}
	if (nb.buf == NULL)
		nb.buf = malloc(1);
	*len = nb.len;
	return nb.buf;
}

hid_t spca_dopen(hid_t f, const char *path, size_t cache_bytes, size_t cache_slots) {
	hid_t dapl = H5P_DEFAULT;
	if (cache_bytes > 0) {
		dapl = H5Pcreate(H5P_DATASET_ACCESS);
		if (dapl < 0) {
			fail("H5Pcreate");
			return -1;
		}
		if (H5Pset_chunk_cache(dapl, cache_slots, cache_bytes, 1.0) < 0) {
			fail("H5Pset_chunk_cache");
			H5Pclose(dapl);
			return -1;
		}
	}
	hid_t d = H5Dopen2(f, path, dapl);
	if (d < 0)
		fail("H5Dopen2");
	if (dapl != H5P_DEFAULT)
		H5Pclose(dapl);
	return d;
}

int spca_dclose(hid_t d) {
	if (H5Dclose(d) < 0) {
		fail("H5Dclose");
		return -1;
	}
	return 0;
}

int spca_dinfo_of(hid_t d, spca_dinfo *o) {
	memset(o, 0, sizeof *o);
	hid_t s = H5Dget_space(d);
	if (s < 0) {
		fail("H5Dget_space");
		return -1;
	}
	int r = H5Sget_simple_extent_ndims(s);
	if (r < 0 || r > SPCA_MAX_RANK || H5Sget_simple_extent_dims(s, o->dims, NULL) < 0) {
		fail("H5Sget_simple_extent_dims");
		H5Sclose(s);
		return -1;
	}
	o->rank = r;
	H5Sclose(s);

	hid_t t = H5Dget_type(d);
	if (t < 0) {
		fail("H5Dget_type");
		return -1;
	}
	o->cls = H5Tget_class(t);
	o->size = H5Tget_size(t);
	if (o->cls == H5T_INTEGER)
		o->is_signed = H5Tget_sign(t) == H5T_SGN_2;
	if (o->cls == H5T_INTEGER || o->cls == H5T_FLOAT)
		o->big_endian = H5Tget_order(t) == H5T_ORDER_BE;
	if (o->cls == H5T_STRING)
		o->vlen_str = H5Tis_variable_str(t) > 0;
	H5Tclose(t);

	hid_t p = H5Dget_create_plist(d);
	if (p < 0) {
		fail("H5Dget_create_plist");
		return -1;
	}
	if (H5Pget_layout(p) == H5D_CHUNKED) {
		o->chunked = 1;
		o->chunk_rank = H5Pget_chunk(p, SPCA_MAX_RANK, o->chunk);
	}
	int nf = H5Pget_nfilters(p);
	if (nf > SPCA_MAX_FILTERS)
		nf = SPCA_MAX_FILTERS;
	for (int i = 0; i < nf; i++) {
		unsigned flags = 0, cfg = 0;
		size_t nelmts = 0;
		H5Z_filter_t id = H5Pget_filter2(p, (unsigned)i, &flags, &nelmts, NULL, sizeof o->filter_name[i],
		                                 o->filter_name[i], &cfg);
		o->filter_id[i] = (int)id;
		o->filter_avail[i] = id >= 0 && H5Zfilter_avail(id) > 0;
	}
	o->nfilters = nf < 0 ? 0 : nf;
	H5Pclose(p);
	H5Eclear2(H5E_DEFAULT);
	return 0;
}

/* Reads (write = 0) or writes (write = 1) the count[0] x count[1] block at
 * start, row-major in buf. */
static int xfer_block(hid_t d, hsize_t start[2], hsize_t count[2], double *buf, int write) {
	hid_t fs = H5Dget_space(d);
	if (fs < 0) {
		fail("H5Dget_space");
		return -1;
	}
	if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
		fail("H5Sselect_hyperslab");
		H5Sclose(fs);
		return -1;
	}
	hid_t ms = H5Screate_simple(2, count, NULL);
	if (ms < 0) {
		fail("H5Screate_simple");
		H5Sclose(fs);
		return -1;
	}
	int rc = 0;
	if (write) {
		if (H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf) < 0) {
			fail("H5Dwrite");
			rc = -1;
		}
	} else if (H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf) < 0) {
		fail("H5Dread");
		rc = -1;
	}
	H5Sclose(ms);
	H5Sclose(fs);
	return rc;
}

int spca_read_rows(hid_t d, hsize_t row0, hsize_t nrows, hsize_t cols, double *dst) {
	hsize_t start[2] = {row0, 0}, count[2] = {nrows, cols};
	return xfer_block(d, start, count, dst, 0);
}

/* Reads columns col0..col0+ncols-1 of rows 0..nrows-1 into dst (row-major). */
int spca_read_cols(hid_t d, hsize_t nrows, hsize_t col0, hsize_t ncols, double *dst) {
	hsize_t start[2] = {0, col0}, count[2] = {nrows, ncols};
	return xfer_block(d, start, count, dst, 0);
}

int spca_read_all(hid_t d, double *dst) {
	if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0) {
		fail("H5Dread");
		return -1;
	}
	return 0;
}

// spca_exists reports whether path names an object, checking each link on
// the way (H5Lexists needs its parent to exist).
int spca_exists(hid_t f, const char *path) {
	size_t n = strlen(path);
	char *buf = malloc(n + 1);
	if (buf == NULL)
		return 0;
	int ok = 1;
	for (size_t i = 1; i <= n && ok; i++) {
		if (i < n && path[i] != '/')
			continue;
		if (path[i - 1] == '/')
			continue;
		memcpy(buf, path, i);
		buf[i] = 0;
		if (H5Lexists(f, buf, H5P_DEFAULT) <= 0)
			ok = 0;
	}
	free(buf);
	if (ok && n > 0 && H5Oexists_by_name(f, path, H5P_DEFAULT) <= 0)
		ok = 0;
	H5Eclear2(H5E_DEFAULT);
	return ok;
}

static hid_t intermediate_lcpl(void) {
	hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
	if (lcpl < 0) {
		fail("H5Pcreate");
		return -1;
	}
	if (H5Pset_create_intermediate_group(lcpl, 1) < 0) {
		fail("H5Pset_create_intermediate_group");
		H5Pclose(lcpl);
		return -1;
	}
	return lcpl;
}

int spca_write(hid_t f, const char *name, int rank, const hsize_t *dims, const double *data) {
	hid_t lcpl = intermediate_lcpl();
	if (lcpl < 0)
		return -1;
	hid_t s = H5Screate_simple(rank, dims, NULL);
	if (s < 0) {
		fail("H5Screate_simple");
		H5Pclose(lcpl);
		return -1;
	}
	/* No modification times in object headers: the same model gives the same bytes. */
	hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
	if (dcpl < 0 || H5Pset_obj_track_times(dcpl, 0) < 0) {
		fail("H5Pset_obj_track_times");
		if (dcpl >= 0)
			H5Pclose(dcpl);
		H5Sclose(s);
		H5Pclose(lcpl);
		return -1;
	}
	hid_t d = H5Dcreate2(f, name, H5T_IEEE_F64LE, s, lcpl, dcpl, H5P_DEFAULT);
	H5Pclose(dcpl);
	if (d < 0) {
		fail("H5Dcreate2");
		H5Sclose(s);
		H5Pclose(lcpl);
		return -1;
	}
	int rc = 0;
	if (data != NULL && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
		fail("H5Dwrite");
		rc = -1;
	}
	if (H5Dclose(d) < 0 && rc == 0) {
		fail("H5Dclose");
		rc = -1;
	}
	H5Sclose(s);
	H5Pclose(lcpl);
	return rc;
}

/* File types by spca dtype code (chunk.DType order): 0 means float64. */
static hid_t file_type(int code) {
	switch (code) {
	case 1: return H5T_IEEE_F32LE;
	case 3: return H5T_STD_I8LE;
	case 4: return H5T_STD_I16LE;
	case 5: return H5T_STD_I32LE;
	case 6: return H5T_STD_I64LE;
	case 7: return H5T_STD_U8LE;
	case 8: return H5T_STD_U16LE;
	case 9: return H5T_STD_U32LE;
	case 10: return H5T_STD_U64LE;
	}
	return H5T_IEEE_F64LE;
}

hid_t spca_matrix_create(hid_t f, const char *name, hsize_t cols, hsize_t chunk_rows, hsize_t chunk_cols,
                         size_t cache_bytes, size_t cache_slots, int dtype, int deflate, int shuffle) {
	hsize_t dims[2] = {0, cols}, maxdims[2] = {H5S_UNLIMITED, cols}, chunk[2] = {chunk_rows, chunk_cols};
	hid_t lcpl = -1, dcpl = -1, dapl = -1, s = -1, d = -1;
	if ((lcpl = intermediate_lcpl()) < 0)
		goto out;
	if ((s = H5Screate_simple(2, dims, maxdims)) < 0) {
		fail("H5Screate_simple");
		goto out;
	}
	if ((dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 || H5Pset_chunk(dcpl, 2, chunk) < 0 ||
	    H5Pset_obj_track_times(dcpl, 0) < 0) {
		fail("H5Pset_chunk");
		goto out;
	}
	if (shuffle && H5Pset_shuffle(dcpl) < 0) {
		fail("H5Pset_shuffle");
		goto out;
	}
	if (deflate > 0 && H5Pset_deflate(dcpl, (unsigned)deflate) < 0) {
		fail("H5Pset_deflate");
		goto out;
	}
	if ((dapl = H5Pcreate(H5P_DATASET_ACCESS)) < 0 ||
	    H5Pset_chunk_cache(dapl, cache_slots, cache_bytes, 1.0) < 0) {
		fail("H5Pset_chunk_cache");
		goto out;
	}
	if ((d = H5Dcreate2(f, name, file_type(dtype), s, lcpl, dcpl, dapl)) < 0)
		fail("H5Dcreate2");
out:
	if (dapl >= 0)
		H5Pclose(dapl);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	if (s >= 0)
		H5Sclose(s);
	if (lcpl >= 0)
		H5Pclose(lcpl);
	return d;
}

int spca_matrix_append(hid_t d, hsize_t row0, hsize_t nrows, hsize_t cols, const double *data) {
	hsize_t ext[2] = {row0 + nrows, cols}, start[2] = {row0, 0}, count[2] = {nrows, cols};
	if (H5Dset_extent(d, ext) < 0) {
		fail("H5Dset_extent");
		return -1;
	}
	return xfer_block(d, start, count, (double *)data, 1);
}

int spca_attr_exists(hid_t f, const char *name) {
	htri_t e = H5Aexists(f, name);
	H5Eclear2(H5E_DEFAULT);
	return e > 0;
}

static hid_t attr_create(hid_t f, const char *name, hid_t type) {
	htri_t e = H5Aexists(f, name);
	if (e < 0) {
		fail("H5Aexists");
		return -1;
	}
	if (e > 0 && H5Adelete(f, name) < 0) {
		fail("H5Adelete");
		return -1;
	}
	hid_t s = H5Screate(H5S_SCALAR);
	if (s < 0) {
		fail("H5Screate");
		return -1;
	}
	hid_t a = H5Acreate2(f, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
	if (a < 0)
		fail("H5Acreate2");
	H5Sclose(s);
	return a;
}

static int attr_write(hid_t f, const char *name, hid_t ftype, hid_t mtype, const void *v) {
	hid_t a = attr_create(f, name, ftype);
	if (a < 0)
		return -1;
	int rc = 0;
	if (H5Awrite(a, mtype, v) < 0) {
		fail("H5Awrite");
		rc = -1;
	}
	if (H5Aclose(a) < 0 && rc == 0) {
		fail("H5Aclose");
		rc = -1;
	}
	return rc;
}

int spca_attr_write_int(hid_t f, const char *name, long long v) {
	return attr_write(f, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &v);
}

int spca_attr_write_double(hid_t f, const char *name, double v) {
	return attr_write(f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

// Strings are variable-length UTF-8, which h5py 3 returns as str.
int spca_attr_write_string(hid_t f, const char *name, const char *v) {
	hid_t t = H5Tcopy(H5T_C_S1);
	if (t < 0) {
		fail("H5Tcopy");
		return -1;
	}
	if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
		fail("H5Tset_size");
		H5Tclose(t);
		return -1;
	}
	int rc = attr_write(f, name, t, t, &v);
	H5Tclose(t);
	return rc;
}

int spca_attr_info(hid_t f, const char *name, int *cls, long long *npoints) {
	hid_t a = H5Aopen(f, name, H5P_DEFAULT);
	if (a < 0) {
		fail("H5Aopen");
		return -1;
	}
	hid_t t = H5Aget_type(a), s = H5Aget_space(a);
	*cls = t >= 0 ? H5Tget_class(t) : -1;
	*npoints = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
	if (t >= 0)
		H5Tclose(t);
	if (s >= 0)
		H5Sclose(s);
	H5Aclose(a);
	H5Eclear2(H5E_DEFAULT);
	return 0;
}

static int attr_read(hid_t f, const char *name, hid_t mtype, void *v) {
	hid_t a = H5Aopen(f, name, H5P_DEFAULT);
	if (a < 0) {
		fail("H5Aopen");
		return -1;
	}
	int rc = 0;
	if (H5Aread(a, mtype, v) < 0) {
		fail("H5Aread");
		rc = -1;
	}
	H5Aclose(a);
	return rc;
}

int spca_attr_read_int(hid_t f, const char *name, long long *v) {
	return attr_read(f, name, H5T_NATIVE_LLONG, v);
}

int spca_attr_read_double(hid_t f, const char *name, double *v) {
	return attr_read(f, name, H5T_NATIVE_DOUBLE, v);
}

// spca_attr_read_string reads a scalar string attribute, fixed or variable
// length, into a malloc'd NUL-terminated buffer.
char *spca_attr_read_string(hid_t f, const char *name) {
	char *out = NULL;
	hid_t a = -1, ft = -1, mt = -1;
	if ((a = H5Aopen(f, name, H5P_DEFAULT)) < 0) {
		fail("H5Aopen");
		goto done;
	}
	if ((ft = H5Aget_type(a)) < 0) {
		fail("H5Aget_type");
		goto done;
	}
	if ((mt = H5Tcopy(H5T_C_S1)) < 0) {
		fail("H5Tcopy");
		goto done;
	}
	H5Tset_cset(mt, H5Tget_cset(ft));
	if (H5Tis_variable_str(ft) > 0) {
		char *p = NULL;
		H5Tset_size(mt, H5T_VARIABLE);
		if (H5Aread(a, mt, &p) < 0) {
			fail("H5Aread");
			goto done;
		}
		out = strdup(p ? p : "");
		H5free_memory(p);
	} else {
		size_t n = H5Tget_size(ft);
		H5Tset_size(mt, n + 1);
		H5Tset_strpad(mt, H5T_STR_NULLTERM);
		out = calloc(n + 2, 1);
		if (out != NULL && H5Aread(a, mt, out) < 0) {
			fail("H5Aread");
			free(out);
			out = NULL;
		}
	}
done:
	if (mt >= 0)
		H5Tclose(mt);
	if (ft >= 0)
		H5Tclose(ft);
	if (a >= 0)
		H5Aclose(a);
	return out;
}

// spca_dcache reports the chunk cache a dataset was opened with.
int spca_dcache(hid_t d, size_t *nbytes, size_t *nslots) {
	hid_t p = H5Dget_access_plist(d);
	if (p < 0) {
		fail("H5Dget_access_plist");
		return -1;
	}
	double w0 = 0;
	int rc = 0;
	if (H5Pget_chunk_cache(p, nslots, nbytes, &w0) < 0) {
		fail("H5Pget_chunk_cache");
		rc = -1;
	}
	H5Pclose(p);
	return rc;
}

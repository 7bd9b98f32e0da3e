/*
 * record.c: an exec -t session recorded as an asciicast v2 file, one
 * root-only file per session in audit.sessions.
 *
 * Call order: record_open before the exec starts (on -1 it must not
 * start), then record_output, record_input and record_resize as the
 * session goes, then record_close once. Every call but record_open
 * takes a NULL recording (not recording) and does nothing. A -1 from
 * record_output, record_input or record_resize means the recording
 * cannot go on (record_error says why; later calls fail the same way):
 * end the session. Past audit.sessions_max they return 0 and write
 * nothing.
 */
#ifndef CTLD_RECORD_H
#define CTLD_RECORD_H

#include <stddef.h>

#include "ctld.h"

struct recording;

/*
 * 0 with *rec NULL when audit.sessions is unset, 0 with *rec set when
 * recording, -1 with err set when it cannot record. cols or rows
 * outside 1..65535 are recorded as 80 and 24; term may be NULL.
 */
int		 record_open(const struct config *, const char *user,
		    const char *container, char *const argv[], int cols,
		    int rows, const char *term, struct recording **rec,
		    char *err, size_t errlen);
int		 record_output(struct recording *, const void *, size_t);
int		 record_input(struct recording *, const void *, size_t);
int		 record_resize(struct recording *, int cols, int rows);
/* Writes what is carried, fsyncs, closes and frees; -1 with err set. */
int		 record_close(struct recording *, char *err, size_t errlen);
const char	*record_path(const struct recording *);
const char	*record_error(const struct recording *);

#endif

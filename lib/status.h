/* The one status type: 0 on success, a negative errno-style code on failure. */
#ifndef PASSAGE_LIB_STATUS_H
#define PASSAGE_LIB_STATUS_H

typedef int status_t;

/* On every function that returns status_t (issue 7; tests/unit/test_must_check.c checks the
 * headers): a caller handles or logs the status. Where ignoring one is right, the call says why. */
#define MUST_CHECK __attribute__((warn_unused_result))

#define OK 0
#define E_PERM -1     /* operation not permitted */
#define E_NOENT -2    /* not found */
#define E_IO -5       /* hardware did not respond as specified */
#define E_NOMEM -12   /* out of memory */
#define E_BUSY -16    /* resource busy */
#define E_INVAL -22   /* malformed input */
#define E_RANGE -34   /* value out of range */
#define E_NOSPC -28   /* a table is full */
#define E_NOTSUP -95  /* not supported by this platform */
#define E_TIMEDOUT -110 /* hardware did not complete in time */

const char *status_str(status_t s);

#endif

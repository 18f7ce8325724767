/*
** hivedb_interrupt: a per-connection query deadline for SQLite, as a loadable extension.
**
** better-sqlite3 is compiled with SQLITE_OMIT_PROGRESS_CALLBACK (so there is no progress handler,
** and this file must never call sqlite3_progress_handler: in that build it crashes the process),
** and a worker thread's terminate() does not stop a running sqlite3_step(). What does stop one is
** sqlite3_interrupt(), which is safe to call from another thread. This extension gives every
** connection that loads it a watchdog thread that calls sqlite3_interrupt() when an armed
** deadline passes. It is compiled against the sqlite3ext.h that better-sqlite3 ships
** (deps/sqlite3), so every SQLite call goes through the API table of the SQLite that loaded it.
**
** SQL functions (registered per connection, SQLITE_DIRECTONLY: not callable from triggers or
** views, so a schema cannot arm or disarm anything):
**
**   hivedb_deadline_arm(ms)   Arms the deadline `ms` milliseconds from now (a real number;
**                             0 means "already due"), replacing any armed one. Starts the
**                             connection's watchdog thread on first use. Returns the new
**                             generation (an integer that every arm and disarm increments).
**   hivedb_deadline_disarm()  Disarms. Returns 1 when the watchdog interrupted on behalf of the
**                             deadline being disarmed, else 0. Once it returns, no interrupt
**                             for that deadline, or any earlier one, can arrive (see below).
**   hivedb_watchdog_stats()   A JSON object: thread, armed, fired, generation, fires, wakeups,
**                             signals, threadsStarted (for tests and diagnostics).
**   hivedb_interrupt_abi()    The ABI version of this file (HIVEDB_INTERRUPT_ABI), so that a
**                             loader can refuse a stale build.
**   hivedb_busy_timeout(ms[, stepUs])  Installs this file's busy handler on the connection with a
**                             budget of `ms` milliseconds per wait (0: fail at once), replacing
**                             SQLite's (and `PRAGMA busy_timeout`'s). With `stepUs`, it retries
**                             every `stepUs` microseconds forty times, then every millisecond,
**                             instead of the schedule below. Returns `ms`.
**   hivedb_busy_stats()       A JSON object: waits, sleeps, timeouts, sleptNs, maxWaitNs.
**
** The busy handler. SQLite's default handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and
** then 100 ms between attempts: a connection that finds the write lock taken keeps sleeping long
** after it was freed (a commit holds it for tens of microseconds), and in a swarm of processes on
** few cores those sleeps are most of a write's tail. This one retries after 250 us, 500 us, 1 ms,
** 2 ms, then every 4 ms, until the budget is spent: a waiter notices a freed lock within 4 ms.
** Shorter sleeps were tried and cost more than they save where processes outnumber cores: each
** wake-up takes a core from someone, often the holder of the lock (50 us steps tripled the CPU
** time of a contended write at 8 processes on 2 cores). Each attempt is one lock call. It counts what it does, per
** connection: waits begun, sleeps, waits that ran out (SQLITE_BUSY returned), the time slept and
** the longest single wait (from its first attempt to its last sleep). It runs on the connection's
** own thread (SQLite calls it from inside the blocked call), so its state needs no lock.
**
** What happens after the deadline passes: the watchdog calls sqlite3_interrupt(db) and then again
** every HIVEDB_REFIRE_MS milliseconds until disarm. Re-firing matters because SQLite resets the
** interrupt flag whenever a statement starts on a connection with no statement running
** (sqlite3_step() and sqlite3_prepare() reset u1.isInterrupted when nVdbeActive==0; this is the
** documented "an interrupt when no statement is running is a no-op" of SQLite >= 3.4x). A single
** interrupt that lands between two statements of an armed unit of work would otherwise be lost
** and the next statement would run unbounded. So: while a deadline is armed and past, every
** statement on the connection is interrupted within HIVEDB_REFIRE_MS of starting, including the
** disarm call itself in a very small window (a caller retries disarm on SQLITE_INTERRUPT; the
** retry cannot be interrupted by the old deadline any more once the first attempt ran).
**
** No stale interrupt: the watchdog checks the armed state and calls sqlite3_interrupt() while
** holding the connection's watchdog mutex; arm and disarm take the same mutex. So once disarm
** (or a later arm) has returned, the watchdog can no longer interrupt for the old deadline. An
** interrupt that it delivered before then, after the statement had finished, is reset by SQLite
** when the next statement starts (nVdbeActive==0, see above). What this relies on:
**   - sqlite3_interrupt() only stores to db->u1.isInterrupted (true of SQLite 3.53 as shipped by
**     better-sqlite3 12; it takes no lock and needs no db mutex, which SQLITE_THREADSAFE=2
**     builds do not have);
**   - the statement count rule above for statements started after an interrupt.
** A statement that is still running when disarm is called is, by construction, not possible on
** better-sqlite3's thread-per-connection model (disarm runs on the connection's own thread), with
** one exception: an unfinished iterator (stmt.iterate()) keeps the running-statement count above
** zero; an interrupt delivered while it is open reaches it and any statement run before it ends.
**
** Lifetime: the watchdog state is the user data of the registered functions, with a reference
** per function; SQLite calls the destructor of each function when the connection closes (before
** it unloads extensions), and the last one stops and joins the thread, so no thread outlives
** its connection and no thread runs code from this library after it is unloaded. The thread
** touches `db` only under the mutex and only while `stop` is not set.
**
** Threads: one per connection, created lazily by the first arm, 64 KiB stack, all signals
** blocked (the process's signals stay with Node's threads). It sleeps on a condition variable
** (CLOCK_MONOTONIC); arm signals it only when the new deadline is earlier than what it already
** sleeps until, and disarm never signals, so a steady stream of arm/disarm pairs costs two
** uncontended mutex round trips each and the thread wakes about once per timeout period.
*/
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pthread_setname_np */
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <limits.h>

#include "sqlite3ext.h"

/* SQLITE_EXTENSION_INIT1, but static: the library is dlopen()ed with RTLD_GLOBAL. */
static const sqlite3_api_routines *sqlite3_api = 0;

#define HIVEDB_INTERRUPT_ABI 2
#define HIVEDB_REFIRE_MS 1
#define HIVEDB_STACK_SIZE (64 * 1024)
/* Longest deadline accepted: a year, in ms (keeps the nanosecond arithmetic far from overflow). */
#define HIVEDB_MAX_MS (365.0 * 24 * 3600 * 1000)

#if defined(__GNUC__)
#define HIVEDB_EXPORT __attribute__((visibility("default")))
#else
#define HIVEDB_EXPORT
#endif

#define NOT_WAITING INT64_MIN /* the thread is running (or not started): no wait target */
#define WAIT_FOREVER INT64_MAX

typedef struct Watchdog {
  sqlite3 *db;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t thread;
  int refs;           /* registered functions still holding this (only touched by SQLite) */
  /* Everything below is guarded by mu. */
  int thread_started;
  int stop;
  int64_t deadline_ns; /* CLOCK_MONOTONIC; 0 = not armed */
  int fired;           /* the watchdog interrupted for the armed deadline */
  int64_t wait_until;  /* what the thread sleeps until: WAIT_FOREVER, a time, or NOT_WAITING */
  sqlite3_int64 generation;
  sqlite3_int64 n_fires, n_wakeups, n_signals, n_threads;
  /* The busy handler's state: touched only on the connection's own thread, never under mu. */
  int64_t busy_budget_ns;
  int64_t busy_step_us; /* > 0: a fixed step (a checkpointer that must catch the gap between commits) */
  int64_t busy_started_ns;
  sqlite3_int64 n_busy_waits, n_busy_sleeps, n_busy_timeouts;
  int64_t busy_slept_ns, busy_max_wait_ns;
} Watchdog;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Waits on w->cv until `until` (CLOCK_MONOTONIC ns) or a signal. Caller holds w->mu. */
static void wait_until_ns(Watchdog *w, int64_t until) {
  if (until == WAIT_FOREVER) {
    pthread_cond_wait(&w->cv, &w->mu);
    return;
  }
#if defined(__APPLE__)
  /* macOS has no pthread_condattr_setclock: wait for the remaining time instead. */
  int64_t rem = until - now_ns();
  if (rem <= 0) return;
  struct timespec rel = {(time_t)(rem / 1000000000), (long)(rem % 1000000000)};
  pthread_cond_timedwait_relative_np(&w->cv, &w->mu, &rel);
#else
  struct timespec abs = {(time_t)(until / 1000000000), (long)(until % 1000000000)};
  pthread_cond_timedwait(&w->cv, &w->mu, &abs);
#endif
}

static void *watchdog_main(void *arg) {
  Watchdog *w = (Watchdog *)arg;
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "hivedb-watchdog");
#endif
  pthread_mutex_lock(&w->mu);
  while (!w->stop) {
    int64_t target;
    if (w->deadline_ns == 0) {
      target = WAIT_FOREVER;
    } else {
      int64_t now = now_ns();
      if (now >= w->deadline_ns) {
        /* Under the mutex: disarm cannot return between this check and the interrupt. */
        sqlite3_interrupt(w->db);
        w->fired = 1;
        w->n_fires++;
        target = now + (int64_t)HIVEDB_REFIRE_MS * 1000000;
      } else {
        target = w->deadline_ns;
      }
    }
    w->wait_until = target;
    wait_until_ns(w, target);
    w->wait_until = NOT_WAITING;
    w->n_wakeups++;
  }
  pthread_mutex_unlock(&w->mu);
  return 0;
}

/* Starts the thread if it is not running. Caller holds w->mu. Returns 0 or an errno value. */
static int ensure_thread(Watchdog *w) {
  if (w->thread_started) return 0;
  pthread_attr_t attr;
  int rc = pthread_attr_init(&attr);
  if (rc) return rc;
  size_t stack = HIVEDB_STACK_SIZE;
#ifdef PTHREAD_STACK_MIN
  if (stack < (size_t)PTHREAD_STACK_MIN) stack = (size_t)PTHREAD_STACK_MIN;
#endif
  pthread_attr_setstacksize(&attr, stack);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_JOINABLE);
  /* The new thread inherits this mask: it takes none of the process's signals. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  rc = pthread_create(&w->thread, &attr, watchdog_main, w);
  pthread_sigmask(SIG_SETMASK, &old, 0);
  pthread_attr_destroy(&attr);
  if (rc) return rc;
  w->thread_started = 1;
  w->n_threads++;
  return 0;
}

static void watchdog_release(void *p) {
  Watchdog *w = (Watchdog *)p;
  if (--w->refs > 0) return;
  pthread_mutex_lock(&w->mu);
  w->stop = 1;
  w->deadline_ns = 0;
  int started = w->thread_started;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  /* The thread exits at its next wake-up, which the signal makes immediate. */
  if (started) pthread_join(w->thread, 0);
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
  sqlite3_free(w);
}

static void fn_arm(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Watchdog *w = (Watchdog *)sqlite3_user_data(ctx);
  (void)argc;
  int type = sqlite3_value_numeric_type(argv[0]);
  if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) {
    sqlite3_result_error(ctx, "hivedb_deadline_arm(ms): ms must be a number", -1);
    return;
  }
  double ms = sqlite3_value_double(argv[0]);
  if (!(ms >= 0) || ms > HIVEDB_MAX_MS) { /* also rejects NaN */
    sqlite3_result_error(ctx, "hivedb_deadline_arm(ms): ms must be between 0 and one year", -1);
    return;
  }
  int64_t deadline = now_ns() + (int64_t)(ms * 1e6);
  if (deadline == 0) deadline = 1; /* 0 means "not armed" */
  pthread_mutex_lock(&w->mu);
  int rc = ensure_thread(w);
  if (rc) {
    pthread_mutex_unlock(&w->mu);
    char msg[128];
    snprintf(msg, sizeof msg, "hivedb_deadline_arm: cannot start the watchdog thread (%s)",
             strerror(rc));
    sqlite3_result_error(ctx, msg, -1);
    return;
  }
  w->deadline_ns = deadline;
  w->fired = 0;
  sqlite3_int64 gen = ++w->generation;
  /* Wake the thread only if it would otherwise sleep past the new deadline. A thread that is
  ** running (NOT_WAITING) re-reads the deadline before it sleeps again. */
  if (w->wait_until != NOT_WAITING && deadline < w->wait_until) {
    pthread_cond_signal(&w->cv);
    w->n_signals++;
  }
  pthread_mutex_unlock(&w->mu);
  sqlite3_result_int64(ctx, gen);
}

static void fn_disarm(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Watchdog *w = (Watchdog *)sqlite3_user_data(ctx);
  (void)argc;
  (void)argv;
  pthread_mutex_lock(&w->mu);
  int fired = w->fired;
  w->deadline_ns = 0;
  w->fired = 0;
  w->generation++;
  /* No signal: a sleeping thread wakes at its old target, finds nothing armed, and waits. */
  pthread_mutex_unlock(&w->mu);
  sqlite3_result_int(ctx, fired);
}

static void fn_stats(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Watchdog *w = (Watchdog *)sqlite3_user_data(ctx);
  (void)argc;
  (void)argv;
  pthread_mutex_lock(&w->mu);
  char *json = sqlite3_mprintf(
      "{\"thread\":%d,\"armed\":%d,\"fired\":%d,\"generation\":%lld,\"fires\":%lld,"
      "\"wakeups\":%lld,\"signals\":%lld,\"threadsStarted\":%lld,\"abi\":%d}",
      w->thread_started, w->deadline_ns != 0, w->fired, (long long)w->generation,
      (long long)w->n_fires, (long long)w->n_wakeups, (long long)w->n_signals,
      (long long)w->n_threads, HIVEDB_INTERRUPT_ABI);
  pthread_mutex_unlock(&w->mu);
  if (!json) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, json, -1, sqlite3_free);
}

/* Microseconds to sleep before attempt `count + 1` (see the header: short first, then 1 ms). */
static int64_t busy_step_us(const Watchdog *w, int count) {
  static const int64_t steps[] = {250, 500, 1000, 2000};
  /* A fixed step for the first 40 attempts (catching the gap between two commits), then 1 ms:
  ** a waiter that polls fast for long takes the cores from the readers it waits for. */
  if (w->busy_step_us > 0) return count < 40 ? w->busy_step_us : 1000;
  return count < 4 ? steps[count] : 4000;
}

static int busy_handler(void *p, int count) {
  Watchdog *w = (Watchdog *)p;
  int64_t now = now_ns();
  if (count == 0) {
    w->busy_started_ns = now;
    w->n_busy_waits++;
  }
  int64_t waited = now - w->busy_started_ns;
  if (waited > w->busy_max_wait_ns) w->busy_max_wait_ns = waited;
  int64_t left = w->busy_budget_ns - waited;
  if (left <= 0) {
    w->n_busy_timeouts++;
    return 0;
  }
  int64_t step = busy_step_us(w, count) * 1000;
  if (step > left) step = left;
  struct timespec ts = {(time_t)(step / 1000000000), (long)(step % 1000000000)};
  nanosleep(&ts, 0);
  w->n_busy_sleeps++;
  w->busy_slept_ns += step;
  return 1;
}

static void fn_busy_timeout(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Watchdog *w = (Watchdog *)sqlite3_user_data(ctx);
  int type = sqlite3_value_numeric_type(argv[0]);
  double ms = sqlite3_value_double(argv[0]);
  if ((type != SQLITE_INTEGER && type != SQLITE_FLOAT) || !(ms >= 0) || ms > HIVEDB_MAX_MS) {
    sqlite3_result_error(ctx, "hivedb_busy_timeout(ms): ms must be between 0 and one year", -1);
    return;
  }
  w->busy_budget_ns = (int64_t)(ms * 1e6);
  w->busy_step_us = 0;
  if (argc > 1) {
    sqlite3_int64 step = sqlite3_value_int64(argv[1]);
    if (step < 0 || step > 1000000) {
      sqlite3_result_error(ctx, "hivedb_busy_timeout(ms, stepUs): stepUs must be 0 to 1e6", -1);
      return;
    }
    w->busy_step_us = step;
  }
  /* The handler's state is w, which lives as long as these functions (the connection). */
  sqlite3_busy_handler(sqlite3_context_db_handle(ctx), busy_handler, w);
  sqlite3_result_double(ctx, ms);
}

static void fn_busy_stats(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Watchdog *w = (Watchdog *)sqlite3_user_data(ctx);
  (void)argc;
  (void)argv;
  char *json = sqlite3_mprintf(
      "{\"waits\":%lld,\"sleeps\":%lld,\"timeouts\":%lld,\"sleptNs\":%lld,\"maxWaitNs\":%lld}",
      (long long)w->n_busy_waits, (long long)w->n_busy_sleeps, (long long)w->n_busy_timeouts,
      (long long)w->busy_slept_ns, (long long)w->busy_max_wait_ns);
  if (!json) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, json, -1, sqlite3_free);
}

static void fn_abi(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sqlite3_result_int(ctx, HIVEDB_INTERRUPT_ABI);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
HIVEDB_EXPORT int sqlite3_hivedbinterrupt_init(sqlite3 *db, char **pzErrMsg,
                                               const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  Watchdog *w = (Watchdog *)sqlite3_malloc(sizeof *w);
  if (!w) return SQLITE_NOMEM;
  memset(w, 0, sizeof *w);
  w->db = db;
  w->wait_until = NOT_WAITING;
  if (pthread_mutex_init(&w->mu, 0)) {
    sqlite3_free(w);
    return SQLITE_ERROR;
  }
  pthread_condattr_t ca;
  int rc = pthread_condattr_init(&ca);
#if !defined(__APPLE__)
  if (!rc) rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
#endif
  if (!rc) rc = pthread_cond_init(&w->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (rc) {
    pthread_mutex_destroy(&w->mu);
    sqlite3_free(w);
    if (pzErrMsg) *pzErrMsg = sqlite3_mprintf("hivedb_interrupt: pthread_cond_init failed");
    return SQLITE_ERROR;
  }

  static const struct {
    const char *name;
    int nArg;
    void (*fn)(sqlite3_context *, int, sqlite3_value **);
  } fns[] = {
      {"hivedb_deadline_arm", 1, fn_arm},
      {"hivedb_deadline_disarm", 0, fn_disarm},
      {"hivedb_watchdog_stats", 0, fn_stats},
      {"hivedb_interrupt_abi", 0, fn_abi},
      {"hivedb_busy_timeout", 1, fn_busy_timeout},
      {"hivedb_busy_timeout", 2, fn_busy_timeout},
      {"hivedb_busy_stats", 0, fn_busy_stats},
  };
  /* One reference per function that will hold w, taken before any registration: SQLite calls
  ** xDestroy even when sqlite3_create_function_v2() itself fails. */
  const int n = (int)(sizeof fns / sizeof fns[0]);
  w->refs = n;
  for (int i = 0; i < n; i++) {
    rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].nArg,
                                    SQLITE_UTF8 | SQLITE_DIRECTONLY, w, fns[i].fn, 0, 0,
                                    watchdog_release);
    if (rc != SQLITE_OK) {
      /* Functions not registered yet will never call xDestroy: drop their references. The
      ** failed one already did (SQLite calls xDestroy on failure). Registered ones keep theirs
      ** until the connection closes; w stays valid for them. */
      for (int j = i + 1; j < n; j++) watchdog_release(w);
      if (pzErrMsg) *pzErrMsg = sqlite3_mprintf("hivedb_interrupt: cannot register %s", fns[i].name);
      return rc;
    }
  }
  return SQLITE_OK;
}

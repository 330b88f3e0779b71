/* Console log with an early buffer, a registered sink and a per-line CPU/subsystem prefix. */
#include "log.h"
#include "spinlock.h"
#include "string.h"

#define EARLY_BUF 16384

static spinlock_t log_lock = SPINLOCK_INIT;
static log_sink_fn log_sink;
static log_cpu_fn log_cpu;
static char early[EARLY_BUF];
static size_t early_len;
static size_t early_lost;

/* Per CPU: how an exception dump in progress writes (log_panic_begin). */
enum { PANIC_OFF, PANIC_TAKEN, PANIC_INHERITED, PANIC_LOCK_FREE };
static u8 panic_mode[SPIN_MAX_CPUS];
#define PANIC_TRIES (1u << 24)    /* lock polls before the dump goes out lock-free */

/* Takes the log lock, unless this CPU is dumping an exception (it then owns the output). */
static u64 log_lock_take(bool *locked)
{
	*locked = panic_mode[spin_this_cpu()] == PANIC_OFF;
	return *locked ? spin_lock_irqsave(&log_lock) : 0;
}

static void log_lock_drop(bool locked, u64 flags)
{
	if (locked)
		spin_unlock_irqrestore(&log_lock, flags);
}

static void emit(const char *s, size_t n)
{
	if (log_sink) {
		log_sink(s, n);
		return;
	}
	size_t room = EARLY_BUF - early_len;
	if (n > room) {
		early_lost += n - room;
		n = room;
	}
	memcpy(early + early_len, s, n);
	early_len += n;
}

void log_set_sink(log_sink_fn sink)
{
	u64 f = spin_lock_irqsave(&log_lock);
	log_sink = sink;
	sink(early, early_len);
	early_len = 0;
	spin_unlock_irqrestore(&log_lock, f);
	if (early_lost)
		log_msg("log", "%zu bytes of early log were lost (buffer full)", early_lost);
}

void log_set_cpu_fn(log_cpu_fn fn)
{
	log_cpu = fn;
}

void log_msg(const char *subsys, const char *fmt, ...)
{
	char line[256];
	int cpu = log_cpu ? log_cpu() : 0; /* before start-up registers it, only CPU 0 runs */
	int n = cpu >= 0 ? snprintf(line, sizeof line, "[cpu%d] %s: ", cpu, subsys)
			 : snprintf(line, sizeof line, "[cpu?] %s: ", subsys);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	line[len++] = '\n';
	bool locked;
	u64 f = log_lock_take(&locked);
	emit(line, len);
	log_lock_drop(locked, f);
}

void log_raw(const char *s)
{
	bool locked;
	u64 f = log_lock_take(&locked);
	emit(s, strlen(s));
	log_lock_drop(locked, f);
}

/*
 * The exception path never breaks the ticket lock (D16): bumping `owner`
 * past a waiting CPU's ticket would leave that CPU spinning for ever. If this
 * CPU already holds the lock (it faulted inside the log), the dump goes on
 * under that hold; otherwise it tries to take the lock for a bounded time, and
 * if another CPU keeps it (wedged or dead), writes without the lock: lines may
 * interleave, but the lock stays consistent.
 */
void log_panic_begin(void)
{
	int me = spin_this_cpu();
	if (spin_held_by_me(&log_lock)) {
		panic_mode[me] = PANIC_INHERITED;
		return;
	}
	for (u32 i = 0; i < PANIC_TRIES; i++) {
		if (spin_trylock(&log_lock)) {
			panic_mode[me] = PANIC_TAKEN;
			return;
		}
		__builtin_ia32_pause();
	}
	panic_mode[me] = PANIC_LOCK_FREE;
}

/* Ends the dump: the lock this CPU holds (taken or inherited) is released, so others go on. */
void log_panic_end(void)
{
	int me = spin_this_cpu();
	if (panic_mode[me] != PANIC_LOCK_FREE && spin_held_by_me(&log_lock))
		spin_unlock(&log_lock);
	panic_mode[me] = PANIC_OFF;
}

#ifdef PASSAGE_HOST
spinlock_t *log_lock_for_test(void)
{
	return &log_lock;
}
#endif

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
	u64 f = spin_lock_irqsave(&log_lock);
	emit(line, len);
	spin_unlock_irqrestore(&log_lock, f);
}

void log_raw(const char *s)
{
	u64 f = spin_lock_irqsave(&log_lock);
	emit(s, strlen(s));
	spin_unlock_irqrestore(&log_lock, f);
}

void log_break_lock(void)
{
	log_lock.owner = log_lock.next;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * plot.c - finding the gnuplot scripts and running them
 *
 * The plots are drawn by plain gnuplot scripts (analysis/NAME.gp) from the .dat files,
 * so anyone can restyle or redraw them with gnuplot alone; this file only
 * finds the scripts and runs "gnuplot -c" for the PNG and the SVG.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "render.h"

static bool has_scripts(const char *dir)
{
	char p[PATH_MAX + 16];

	fmt_into(p, sizeof(p), "%s/cdf.gp", dir);
	return access(p, R_OK) == 0;
}

int an_plot_dir(char *dir, size_t size)
{
	const char *env = getenv("VMATRACE_GNUPLOT_DIR");
	char exe[PATH_MAX], cand[PATH_MAX + 32];
	ssize_t n;

	if (env && *env && has_scripts(env)) {
		strlcpy_(dir, env, size);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		/* run from the source tree: ./vmatrace next to analysis/ */
		snprintf(cand, sizeof(cand), "%s/analysis", exe);
		if (has_scripts(cand)) {
			strlcpy_(dir, cand, size);
			return 0;
		}
		/* installed: $(PREFIX)/bin/vmatrace and $(PREFIX)/share/vmatrace */
		snprintf(cand, sizeof(cand), "%s/../share/vmatrace", exe);
		if (has_scripts(cand)) {
			strlcpy_(dir, cand, size);
			return 0;
		}
	}
#ifdef VMATRACE_DATADIR
	if (has_scripts(VMATRACE_DATADIR)) {
		strlcpy_(dir, VMATRACE_DATADIR, size);
		return 0;
	}
#endif
	return -1;
}

bool an_have_gnuplot(void)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/gnuplot", (int)len, path);
		if (len && access(buf, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

/* Run gnuplot for one output file; its first line of complaint in @err. */
static int run_gnuplot(const char *script, const char *dat, const char *out, const char *title,
		       const char *label, char *err, size_t errlen)
{
	int pfd[2], status;
	char msg[512];
	size_t got = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot run gnuplot: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot run gnuplot: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		dup2(pfd[1], STDERR_FILENO);
		/* a Ctrl-C that stopped a bench must not stop the plots of what finished */
		signal(SIGINT, SIG_IGN);
		execlp("gnuplot", "gnuplot", "-c", script, dat, out, title, label, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n = read(pfd[0], msg + got, sizeof(msg) - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(msg) - 1) {
			char sink[256];

			while (read(pfd[0], sink, sizeof(sink)) >
			       0) /* keep gnuplot from blocking */
				;
			break;
		}
	}
	msg[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "cannot wait for gnuplot: %s", strerror(errno));
			return -1;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char *line = msg;

		/* gnuplot echoes the offending line first; its message is the last line */
		for (char *p = strtok(msg, "\n"); p; p = strtok(NULL, "\n"))
			if (*p && strspn(p, " ^") != strlen(p))
				line = p;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			snprintf(err, errlen, "cannot run gnuplot (is gnuplot-nox installed?)");
		else
			snprintf(err, errlen, "gnuplot %s failed: %s", script,
				 *line ? line : "no message");
		return -1;
	}
	return 0;
}

int an_plot(const char *gpdir, const char *script, const char *dat, const char *outbase,
	    const char *title, const char *label, char *err, size_t errlen)
{
	static const char *const exts[] = { "png", "svg" };
	char sp[PATH_MAX + 64], tmp[PATH_MAX + 32], out[PATH_MAX + 16];
	struct stat st;

	snprintf(sp, sizeof(sp), "%s/%s", gpdir, script);
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		snprintf(tmp, sizeof(tmp), "%s.tmp.%s", outbase, exts[i]);
		snprintf(out, sizeof(out), "%s.%s", outbase, exts[i]);
		if (run_gnuplot(sp, dat, tmp, title, label, err, errlen)) {
			unlink(tmp);
			return -1;
		}
		if (stat(tmp, &st) || st.st_size == 0) {
			snprintf(err, errlen, "gnuplot %s left no %s", script, out);
			unlink(tmp);
			return -1;
		}
		if (rename(tmp, out)) {
			snprintf(err, errlen, "cannot write '%s': %s", out, strerror(errno));
			unlink(tmp);
			return -1;
		}
	}
	return 0;
}

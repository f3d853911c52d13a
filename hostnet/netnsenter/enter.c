// The constructor of package netnsenter: it runs before the Go runtime, while the process
// has a single thread, so setns moves the whole process.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

int hostnet_netns_errno;
const char *hostnet_netns_step;
const char *hostnet_netns_entered;

static int fail(const char *step) {
	hostnet_netns_errno = errno ? errno : EINVAL;
	hostnet_netns_step = step;
	return -1;
}

__attribute__((constructor)) static void hostnet_enter_netns(void) {
	const char *path = getenv("HOSTNET_NETNS_PATH");
	if (path == NULL || path[0] == '\0') {
		return;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fail("open");
		return;
	}
	if (setns(fd, CLONE_NEWNET) != 0) {
		fail("setns");
		close(fd);
		return;
	}
	close(fd);
	// A mount namespace of our own, whose changes never propagate back to the host, with a
	// sysfs that belongs to the joined network namespace.
	if (unshare(CLONE_NEWNS) != 0) {
		fail("unshare mount namespace");
		return;
	}
	if (mount("", "/", NULL, MS_SLAVE | MS_REC, NULL) != 0) {
		fail("make / a slave mount");
		return;
	}
	if (umount2("/sys", MNT_DETACH) != 0 && errno != EINVAL) {
		fail("detach /sys");
		return;
	}
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0) {
		fail("mount sysfs");
		return;
	}
	hostnet_netns_entered = path;
}

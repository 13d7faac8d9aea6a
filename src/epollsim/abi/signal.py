"""Signal numbers and default actions: arch/x86/include/uapi/asm/signal.h, include/linux/signal.h."""

# arch/x86/include/uapi/asm/signal.h
SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE = 1, 2, 3, 4, 5, 6, 7, 8
SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT = 9, 10, 11, 12, 13, 14, 15, 16
SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU = 17, 18, 19, 20, 21, 22, 23, 24
SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS = 25, 26, 27, 28, 29, 30, 31
# _NSIG is 64; CPython's Py_NSIG (signal.NSIG) is one more: signal numbers are 1..64.
NSIG = 65
# glibc reserves 32 and 33 for its threads (nptl): its SIGRTMIN is 34, and sigfillset leaves
# the two out, so signal.valid_signals() has neither.
SIGRTMIN, SIGRTMAX = 34, 64
GLIBC_RESERVED = (32, 33)

# The default action of each signal (include/linux/signal.h: SIG_KERNEL_ONLY_MASK,
# SIG_KERNEL_COREDUMP_MASK, SIG_KERNEL_IGNORE_MASK, SIG_KERNEL_STOP_MASK); every other
# signal, real-time ones included, terminates.
TERMINATE, CORE, IGNORE, STOP, CONTINUE = "terminate", "core", "ignore", "stop", "continue"
DEFAULT_ACTIONS: dict[int, str] = {
    SIGQUIT: CORE, SIGILL: CORE, SIGTRAP: CORE, SIGABRT: CORE, SIGBUS: CORE, SIGFPE: CORE,
    SIGSEGV: CORE, SIGXCPU: CORE, SIGXFSZ: CORE, SIGSYS: CORE,
    SIGCHLD: IGNORE, SIGURG: IGNORE, SIGWINCH: IGNORE,
    SIGCONT: CONTINUE,
    SIGSTOP: STOP, SIGTSTP: STOP, SIGTTIN: STOP, SIGTTOU: STOP,
}


def default_action(signum: int) -> str:
    """What SIG_DFL does with ``signum`` (sig_kernel_* in include/linux/signal.h)."""
    return DEFAULT_ACTIONS.get(signum, TERMINATE)


# sigaction(2): SIGKILL and SIGSTOP cannot be caught or ignored (sig_kernel_only: EINVAL).
UNCATCHABLE = (SIGKILL, SIGSTOP)

# include/uapi/linux/time.h: setitimer's timers.
ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2

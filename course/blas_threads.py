"""One BLAS thread for small matrices.

numpy's matrix products run on OpenBLAS (or MKL), which starts a thread per core. For the small
matrices of the course's notebooks (a batch of 32 digits, layers of 128 units) the threads cost
more than they save, and on a busy machine (two cores shared with a class being graded) threads
that wait for each other spin: the same training took six times the CPU with two threads as with
one, measured on the course's 2-core machine under load.

`single_thread()` limits this process's BLAS to one thread, for as long as it runs, through
threadpoolctl (which comes with scikit-learn); without threadpoolctl it changes nothing.
"""


def single_thread():
    """Limit BLAS to one thread in this process. Returns True when the limit is set."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(limits=1, user_api="blas")
    return True

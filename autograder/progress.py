"""The progress line while grading: done / total, elapsed, rate, time left, the last result.

On a terminal it is one line, rewritten in place; otherwise (a log, CI) one line per result.
"""

import sys
import time


def duration(seconds):
    """'42 s', '3 min 05 s', '1 h 02 min'."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min"


class Progress:
    def __init__(self, total, stream=None, clock=time.monotonic):
        self.total, self.done = total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = clock()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.width = 0

    def line(self, last=""):
        elapsed = self.clock() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        text = f"[{self.done:>{len(str(self.total))}}/{self.total}] {duration(elapsed)}"
        if self.done:
            text += f", {rate * 60:.1f} notebooks/min"
            if self.done < self.total:
                text += f", about {duration((self.total - self.done) / rate)} left"
        return text + (f" | {last}" if last else "")

    def update(self, last=""):
        self.done += 1
        text = self.line(last)
        if self.tty:
            pad = max(0, self.width - len(text))
            self.stream.write("\r" + text + " " * pad)
            self.width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self):
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()

"""GenLab's load test, a small package (run it as `python scripts/loadtest.py`; `--help` says how).

protocol.py   one student = one websocket session speaking Streamlit's own protocol (no browser)
lab.py        what the scenarios share: students, clocks, the server's RSS and CPU, statistics
server.py     the server under test: start one, read /proc, scan its log
proxy.py      K app processes behind HAProxy (deploy/haproxy.cfg)
texts.py      the words the load test reads on the English pages
generate.py, train.py, bystander.py, memory.py, mixed.py, faults.py: one scenario each
record.py     records a short real session for the unit tests (tests/fixtures/)
browser.py    the Chromium harness, for what only a browser shows (--browser)
cli.py        the command line and the report
"""

from .browser import CHROMIUM
from .server import OwnServer, log

__all__ = ["CHROMIUM", "OwnServer", "log"]

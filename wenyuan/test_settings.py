"""Settings for the test suite: the embedded defaults in a throw-away WENYUAN_HOME."""

import os
import tempfile

os.environ["WENYUAN_HOME"] = tempfile.mkdtemp(prefix="wenyuan-test-")
os.environ.setdefault("WENYUAN_LOGIN_RATE", "5/1m")

from wenyuan.settings import *  # noqa: E402, F403

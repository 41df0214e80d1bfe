"""Settings for the whole test session.

Secrets go to the data directory's owner-only file in every test and every `batchmail` subprocess the tests start
(they inherit this environment): whatever keyring the machine running the tests has is never touched, and the
test process and its subprocesses always agree on where a password is. tests/test_credentials.py sets keyring
backends explicitly to test the keyring path.
"""

import os

os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

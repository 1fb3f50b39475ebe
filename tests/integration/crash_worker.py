"""Run in a child process by test_engine_crash.py: start an instance whose service task
kills the process (like ``kill -9``) in the middle of the step, before the commit."""

import os
import sys

from app.engine import registry, runtime
from app.extensions import db
from tests.conftest import make_app
from tests.integration.test_engine_runtime import caller


@registry.service_task("test.check")
def die(amount):
    os._exit(137)


if __name__ == "__main__":
    application = make_app(sys.argv[1])
    with application.app_context():
        runtime.start_instance(db.session, "service_then_review", {"amount": 13}, caller(application, "exec"))
    sys.exit(0)  # never reached

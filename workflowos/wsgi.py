from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflowos.settings")
application = get_wsgi_application()

# Import the URL conf (and with it every view) now rather than on the first request, so the
# first request is not slow and the freeze below covers it.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018

# Everything loaded so far (Django, our apps, URL conf) lives as long as the process; moving it to
# the permanent generation keeps the cyclic collector from rescanning it on every full collection,
# which shortens the latency tails of request handling.
gc.freeze()

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Everything loaded so far (Django, the URL conf's views, the apps' registries) lives as long as
# the process: move it out of the cyclic garbage collector's reach, so a request that makes many
# objects (a batch upsert of 1,000 contacts) doesn't pay for full collections over all of it.
gc.freeze()

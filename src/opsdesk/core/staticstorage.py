"""Static files: compressed and cache-busted after collectstatic, plain names before it.

``opsdesk serve`` runs collectstatic on every start: each file is then stored under a name
carrying its content hash (browsers may keep it for a year, and a new release changes the
name) with a gzip copy beside it (Brotli too when the brotli package is installed), which
WhiteNoise sends to browsers that ask for it.
Before collectstatic has run (the test suite, ``opsdesk web`` on a fresh data directory) no
manifest exists; a name missing from the manifest is then linked as it is, and WhiteNoise
serves it from the installed packages (``WHITENOISE_USE_FINDERS``) instead of the page failing.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = True

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            # Not collected (yet): the plain name, served by the finders.
            return name
